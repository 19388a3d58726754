// The steady state of a detached container's monitor: copy the container's
// stdout and stderr into Docker's json-file log until it exits, then hand
// its wait status back to Swift. This is the loop the monitor spends its
// life in, so it is C with fixed buffers: it allocates nothing, and costs
// nothing while the container is quiet (one poll(2) on three fds).
//
// The log format is Docker's json-file driver: one JSON object a line,
//   {"log":"text\n","stream":"stdout","time":"2026-11-28T17:59:27.123456789Z"}
// A line longer than the buffer is split, as Docker splits at 16 KiB.
#define _GNU_SOURCE
#include "monitor_attach.h"
#include "fd_passing.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { LINE_MAX_BYTES = 16384 };

typedef struct {
    int fd;
    int number;  // 1 stdout, 2 stderr: attach's stream header
    const char *name;
    size_t used;
    char line[LINE_MAX_BYTES];
} stream;

typedef struct {
    const sr_monitor_spec *spec;
    int log_fd;
    off_t size;
} log_file;

// max-file: log -> log.1 -> log.2 ..., the oldest dropped (Docker's order).
static void rotate(log_file *log) {
    const sr_monitor_spec *spec = log->spec;
    char from[4200], to[4200];
    for (int i = spec->max_files - 1; i >= 1; i--) {
        if (i == 1) snprintf(from, sizeof from, "%s", spec->log_path);
        else snprintf(from, sizeof from, "%s.%d", spec->log_path, i - 1);
        snprintf(to, sizeof to, "%s.%d", spec->log_path, i);
        rename(from, to);
    }
    int fd = open(spec->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    if (fd >= 0) {
        close(log->log_fd);
        log->log_fd = fd;
        log->size = 0;
    }
}

// One json-file record for BYTES (a line with its newline, or a piece).
static void emit(log_file *log, const char *name, const char *bytes, size_t length) {
    // Every input byte becomes at most 6 output bytes (\u00XX).
    static char record[LINE_MAX_BYTES * 6 + 128];
    size_t n = 0;
    n += (size_t)snprintf(record, sizeof record, "{\"log\":\"");
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)bytes[i];
        switch (c) {
        case '"': record[n++] = '\\'; record[n++] = '"'; break;
        case '\\': record[n++] = '\\'; record[n++] = '\\'; break;
        case '\n': record[n++] = '\\'; record[n++] = 'n'; break;
        case '\r': record[n++] = '\\'; record[n++] = 'r'; break;
        case '\t': record[n++] = '\\'; record[n++] = 't'; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                memcpy(record + n, "\\u00", 4);
                n += 4;
                record[n++] = hex[c >> 4];
                record[n++] = hex[c & 15];
            } else {
                record[n++] = (char)c;  // UTF-8 passes through as it came
            }
        }
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    n += (size_t)snprintf(record + n, sizeof record - n,
                          "\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}\n", name,
                          utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                          now.tv_nsec);
    if (log->spec->max_size > 0 && log->size > 0 && log->size + (off_t)n > log->spec->max_size) rotate(log);
    if (sr_write_all(log->log_fd, record, n) == 0) log->size += (off_t)n;
}

// Reads what is there; emits each complete line, and a full buffer as a
// piece. Returns 0 at EOF, 1 otherwise.
static int pump(log_file *log, stream *s, sr_attach_hub *hub) {
    ssize_t n = read(s->fd, s->line + s->used, sizeof s->line - s->used);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n > 0) sr_attach_broadcast(hub, s->number, s->line + s->used, (size_t)n);
    if (log->log_fd < 0) return n > 0;  // --log-driver none: attach only
    if (n == 0) {
        if (s->used > 0) emit(log, s->name, s->line, s->used);
        s->used = 0;
        return 0;
    }
    s->used += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < s->used; i++) {
        if (s->line[i] != '\n') continue;
        emit(log, s->name, s->line + start, i + 1 - start);
        start = i + 1;
    }
    if (start == 0 && s->used == sizeof s->line) {
        emit(log, s->name, s->line, s->used);
        start = s->used;
    }
    memmove(s->line, s->line + start, s->used - start);
    s->used -= start;
    return 1;
}

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// The health check in flight: a child running HEALTH_ARGV, or none.
typedef struct {
    pid_t pid;
    int pidfd;
    long long due;  // when the next one starts
} health_check;

static void start_check(const sr_monitor_spec *spec, health_check *check) {
    pid_t pid = fork();
    if (pid == 0) {
        // Only stdio (our /dev/null) goes to swiftrun: not the pipes or the log.
        syscall(SYS_close_range, 3U, ~0U, 0U);
        execv(spec->health_argv[0], (char *const *)spec->health_argv);
        _exit(127);
    }
    check->pid = pid;
    check->pidfd = pid > 0 ? sr_pidfd_open(pid) : -1;
    if (check->pidfd < 0) check->due = now_ms() + spec->health_interval_ms;
}

static void end_check(const sr_monitor_spec *spec, health_check *check, int kill_it) {
    if (check->pid <= 0) return;
    if (kill_it) kill(check->pid, SIGKILL);
    while (waitpid(check->pid, NULL, 0) < 0 && errno == EINTR) {}
    if (check->pidfd >= 0) close(check->pidfd);
    check->pid = 0;
    check->pidfd = -1;
    check->due = now_ms() + spec->health_interval_ms;
}

int sr_monitor_supervise(const sr_monitor_spec *spec, int *wait_status) {
    health_check check = {.pid = 0, .pidfd = -1, .due = now_ms() + spec->health_interval_ms};
    int checking = spec->health_interval_ms > 0 && spec->health_argv != NULL;
    static stream out, err;
    out.fd = spec->stdout_fd;
    out.number = 1;
    out.name = "stdout";
    out.used = 0;
    err.fd = spec->stderr_fd;
    err.number = 2;
    err.name = "stderr";
    err.used = 0;
    log_file log = {.spec = spec, .log_fd = -1, .size = 0};
    if (spec->log_path != NULL) {
        log.log_fd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (log.log_fd < 0) {
            int saved = errno;
            if (spec->attach_fd >= 0) close(spec->attach_fd);  // nobody will accept on it
            errno = saved;
            return -1;
        }
        struct stat info;
        if (fstat(log.log_fd, &info) == 0) log.size = info.st_size;
    }
    sr_attach_hub hub = {.tty = spec->tty,
                         .master = spec->tty ? spec->stdout_fd : -1,
                         .stdin_fd = spec->stdin_fd,
                         .once_fd = spec->stdin_once && !spec->tty ? spec->attached_fd : -1};
    sr_attach_open(&hub, spec->attach_dir, spec->attach_fd, spec->attached_fd);  // without the socket, the container still runs and logs
    // The pipes stay open until every process of the container that holds
    // them is gone; pid 1's exit (the pidfd) ends the wait either way.
    int out_open = out.fd >= 0, err_open = err.fd >= 0, exited = 0;
    while (!exited || out_open || err_open) {
        struct pollfd fds[5 + SR_ATTACH_CLIENTS] = {
            {.fd = out_open ? out.fd : -1, .events = POLLIN},
            {.fd = err_open ? err.fd : -1, .events = POLLIN},
            {.fd = exited ? -1 : spec->pidfd, .events = POLLIN},
            {.fd = check.pidfd, .events = POLLIN},
            {.fd = exited ? -1 : hub.listen_fd, .events = POLLIN},
        };
        for (int i = 0; i < SR_ATTACH_CLIENTS; i++)
            fds[5 + i] = (struct pollfd){.fd = hub.clients[i], .events = hub.reading[i] ? POLLIN : 0};
        int timeout = -1;
        if (exited) timeout = 0;
        else if (checking && check.pid <= 0) {
            long long wait = check.due - now_ms();
            timeout = wait < 0 ? 0 : wait > 3600000 ? 3600000 : (int)wait;
        }
        int ready = poll(fds, 5 + SR_ATTACH_CLIENTS, timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[3].revents) end_check(spec, &check, 0);
        if (checking && !exited && check.pid <= 0 && now_ms() >= check.due) start_check(spec, &check);
        if (exited && !(fds[0].revents | fds[1].revents)) break;  // pid 1 is gone and nothing more is queued
        if (fds[0].revents) out_open = pump(&log, &out, &hub);
        if (fds[1].revents) err_open = pump(&log, &err, &hub);
        if (fds[2].revents) exited = 1;
        if (fds[4].revents) sr_attach_accept(&hub);
        for (int i = 0; i < SR_ATTACH_CLIENTS; i++)
            if (fds[5 + i].revents && hub.clients[i] >= 0) sr_attach_input(&hub, i);
    }
    end_check(spec, &check, 1);
    sr_attach_close(&hub);  // clients see EOF: the container has ended
    if (log.log_fd >= 0) {
        if (out.used > 0) emit(&log, "stdout", out.line, out.used);
        if (err.used > 0) emit(&log, "stderr", err.line, err.used);
        close(log.log_fd);
    }
    pid_t reaped;
    do {
        reaped = waitpid(spec->pid, wait_status, 0);
    } while (reaped < 0 && errno == EINTR);
    return reaped == spec->pid ? 0 : -1;
}
