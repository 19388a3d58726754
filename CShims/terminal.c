// The parent's side of -t: bytes between the caller's terminal and the
// container's pty master, until the container's process exits. One poll(2)
// loop over stdin, the master and a signalfd: SIGWINCH copies the caller's
// window size to the pty, SIGCHLD ends the loop once PID is reaped, and
// every other signal in the set is passed on to PID.
#define _GNU_SOURCE
#include "CShims.h"
#include "fd_passing.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void copy_window_size(int from, int to) {
    struct winsize size;
    if (ioctl(from, TIOCGWINSZ, &size) == 0) ioctl(to, TIOCSWINSZ, &size);
}

// What is left in the master once the process is gone: read until EIO
// (no slave open any more) or nothing is waiting.
static void drain(int master, int out) {
    char buf[16384];
    struct pollfd ready = {.fd = master, .events = POLLIN};
    while (poll(&ready, 1, 0) > 0 && (ready.revents & POLLIN)) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0 || sr_write_all(out, buf, (size_t)n) < 0) return;
    }
}

int sr_tty_relay(int master, int in, int out, pid_t pid, const sigset_t *signals) {
    int sfd = signalfd(-1, signals, SFD_CLOEXEC);
    if (sfd < 0) return -1;
    int size_fd = in >= 0 ? in : out;  // the caller's terminal, whichever end it is on
    copy_window_size(size_fd, master);
    struct pollfd fds[3] = {
        {.fd = sfd, .events = POLLIN},
        {.fd = master, .events = POLLIN},
        {.fd = in, .events = POLLIN},
    };
    char buf[16384];
    int status = 0;
    for (;;) {
        // Reap first: a SIGCHLD may have come before signalfd existed.
        pid_t reaped = waitpid(pid, &status, WNOHANG);
        if (reaped == pid) break;
        if (reaped < 0 && errno != EINTR) goto fail;
        if (poll(fds, in >= 0 ? 3 : 2, -1) < 0) {
            if (errno == EINTR) continue;
            goto fail;
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            if (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) {
                if (info.ssi_signo == SIGWINCH) copy_window_size(size_fd, master);
                else if (info.ssi_signo != SIGCHLD) kill(pid, (int)info.ssi_signo);
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buf, sizeof buf);
            // EIO: every slave fd is closed. Stop listening; the exit follows.
            if (n > 0) sr_write_all(out, buf, (size_t)n);
            else if (n == 0 || (errno != EINTR && errno != EAGAIN)) fds[1].fd = -1;
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(in, buf, sizeof buf);
            // At the end of our input, the container's terminal sees ^D.
            if (n > 0) sr_write_all(master, buf, (size_t)n);
            else if (n == 0 || errno != EINTR) {
                char eof = 4;
                sr_write_all(master, &eof, 1);
                fds[2].fd = -1;
            }
        }
    }
    drain(master, out);
    close(sfd);
    return status;
fail:;
    int saved = errno;
    close(sfd);
    errno = saved;
    return -1;
}

int sr_receive_fd(int socket) {
    char byte;
    int fd;
    if (sr_receive_byte_and_fd(socket, &byte, &fd) < 0) return -1;
    if (fd < 0) errno = EBADMSG;
    return fd;
}

// `attach`'s side of the monitor's socket (attach.c): the first byte says
// the framing ('t': raw, with the pty master passed for resizing; 's':
// Docker's 8-byte stream headers). Our input goes to the socket, except
// the detach keys, which end the relay and leave the container running.
typedef struct {
    unsigned char header[8];
    size_t header_used;
    size_t payload_left;
    int target;
} demux;

// Splits Docker's framed stream into OUT and ERR.
static int demux_write(demux *d, const char *bytes, size_t length, int out, int err) {
    while (length > 0) {
        if (d->payload_left == 0) {
            size_t take = 8 - d->header_used < length ? 8 - d->header_used : length;
            memcpy(d->header + d->header_used, bytes, take);
            d->header_used += take;
            bytes += take;
            length -= take;
            if (d->header_used < 8) return 0;
            d->header_used = 0;
            d->target = d->header[0] == 2 ? err : out;
            d->payload_left = (size_t)d->header[4] << 24 | (size_t)d->header[5] << 16 | (size_t)d->header[6] << 8 | d->header[7];
            continue;
        }
        size_t take = d->payload_left < length ? d->payload_left : length;
        if (sr_write_all(d->target, bytes, take) < 0) return -1;
        d->payload_left -= take;
        bytes += take;
        length -= take;
    }
    return 0;
}

int sr_attach_relay(int socket, int in, int out, int err, const char *keys, int keys_length, const sigset_t *signals) {
    char kind;
    int master;
    if (sr_receive_byte_and_fd(socket, &kind, &master) < 0) {
        if (errno == EPIPE) errno = ECONNRESET;
        return -1;
    }
    int tty = kind == 't';
    int size_fd = in >= 0 ? in : out;
    if (master >= 0) copy_window_size(size_fd, master);
    int sfd = signalfd(-1, signals, SFD_CLOEXEC);
    struct pollfd fds[3] = {
        {.fd = socket, .events = POLLIN},
        {.fd = in, .events = POLLIN},
        {.fd = sfd, .events = POLLIN},
    };
    demux d = {.header_used = 0, .payload_left = 0, .target = out};
    int matched = 0;  // how much of the detach keys was typed, held back
    int result = 0;
    char buf[16384];
    for (;;) {
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            result = -1;
            break;
        }
        if (fds[2].revents & POLLIN) {
            struct signalfd_siginfo info;
            if (read(sfd, &info, sizeof info) == (ssize_t)sizeof info && info.ssi_signo == SIGWINCH && master >= 0)
                copy_window_size(size_fd, master);
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(socket, buf, sizeof buf);
            if (n <= 0) break;  // the monitor closed it: the container has ended
            if (tty ? sr_write_all(out, buf, (size_t)n) : demux_write(&d, buf, (size_t)n, out, err)) {
                result = -1;
                break;
            }
        }
        if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(in, buf, sizeof buf);
            if (n <= 0) {
                fds[1].fd = -1;  // our input ended; output still comes
                shutdown(socket, SHUT_WR);
                continue;
            }
            for (ssize_t i = 0; i < n; i++) {
                if (keys_length > 0 && buf[i] == keys[matched]) {
                    if (++matched == keys_length) {
                        result = 1;
                        goto done;
                    }
                    continue;
                }
                if (matched > 0) sr_write_all(socket, keys, (size_t)matched);
                matched = 0;
                sr_write_all(socket, buf + i, 1);
            }
        }
    }
done:
    if (master >= 0) close(master);
    if (sfd >= 0) close(sfd);
    return result;
}
