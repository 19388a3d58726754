// A bundle's hooks that run in the container's namespaces, and the pause
// that lets the parent run its own (prestart, createRuntime) at the same
// moment: the tree is mounted, pivot_root not yet done (runtime-spec
// config.md, "POSIX-platform Hooks"; runc does the same).
//
// Each hook is forked with a raw clone (no atfork handlers, which may take
// locks this copy of a threaded process can never get), reads the state
// from a sealed memfd on stdin, and is waited for with its timeout. The
// pid in that state is ours as our own namespace sees it, as runc gives it.
#define _GNU_SOURCE
#include "child_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void sr_pause_for_hooks(const sr_child_spec *spec) {
    sr_report_value(spec, SR_STEP_RUNTIME_HOOKS, 0);
    sr_read_sync_byte(spec, SR_STEP_RUNTIME_HOOKS);  // EOF: a hook failed
    sr_narrate_call(spec, SR_STEP_RUNTIME_HOOKS, "read(sync_fd) = 1: the prestart and createRuntime hooks ran");
}

static int write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, bytes, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        bytes += n;
        length -= (size_t)n;
    }
    return 0;
}

// The stage's state in a memfd, sealed so that a hook cannot change what
// the next one reads. Returns the fd or -1.
static int state_file(const sr_child_spec *spec, int stage) {
    const char *json = spec->hook_states[stage];
    size_t at = (size_t)spec->hook_state_pid_at[stage];
    char pid[SR_HOOK_PID_WIDTH];
    memset(pid, ' ', sizeof pid);
    sr_text digits = {.length = 0};
    sr_text_number(&digits, getpid());
    memcpy(pid, digits.text, digits.length);
    int fd = (int)syscall(SYS_memfd_create, "hook-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    if (write_all(fd, json, at) < 0 || write_all(fd, pid, sizeof pid) < 0 ||
        write_all(fd, json + at + sizeof pid, strlen(json) - at - sizeof pid) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

// One hook: its wait status, or -1 with errno.
static int run_hook(const sr_hook *hook, int state) {
    if (lseek(state, 0, SEEK_SET) < 0) return -1;
    int pidfd = -1;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) return -1;
    if (pid == 0) {
        if (dup2(state, 0) < 0) _exit(126);
        if (sr_reset_signals() < 0) _exit(126);
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        execve(hook->path, (char *const *)hook->argv, (char *const *)hook->envp);
        _exit(errno == ENOENT ? 127 : 126);
    }
    struct pollfd exited = {.fd = pidfd, .events = POLLIN};
    int timeout = hook->timeout > 0 ? hook->timeout * 1000 : -1;
    int ready;
    do {
        ready = poll(&exited, 1, timeout);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    close(pidfd);
    int status;
    while (waitpid((pid_t)pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

void sr_run_hooks(const sr_child_spec *spec, int stage) {
    int state = -1;
    for (int i = 0; i < spec->hook_count; i++) {
        const sr_hook *hook = &spec->hooks[i];
        if (hook->stage != stage) continue;
        if (state < 0 && (state = state_file(spec, stage)) < 0) sr_fail_hook(spec, i, errno);
        sr_narrate_quoted(spec, SR_STEP_CONTAINER_HOOK, "clone3(CLONE_PIDFD); execve(", hook->path, ") with the state on stdin");
        int status = run_hook(hook, state);
        if (status < 0) sr_fail_hook(spec, i, errno);
        if (WIFSIGNALED(status)) sr_fail_hook(spec, i, -(128 + WTERMSIG(status)));
        if (WEXITSTATUS(status) != 0) sr_fail_hook(spec, i, -WEXITSTATUS(status));
    }
    if (state >= 0) close(state);
}
