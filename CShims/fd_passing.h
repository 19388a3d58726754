// Small fd helpers shared by the C files that cannot link each other: the
// container child (child_console.c), the monitor (monitor.c, attach.c,
// built into swiftrun-monitor alone) and the caller's side (terminal.c).
// static inline, no allocation: safe in the child after clone3.
#ifndef SWIFTRUN_FD_PASSING_H
#define SWIFTRUN_FD_PASSING_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// write(2) until every byte is out; 0, or -1 with errno.
static inline int sr_write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, bytes, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += n;
        length -= (size_t)n;
    }
    return 0;
}

// One byte, with FD attached (SCM_RIGHTS) unless it is -1. 0 or -1.
static inline int sr_send_byte_and_fd(int socket, char byte, int fd, int flags) {
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        message.msg_control = control.space;
        message.msg_controllen = sizeof control.space;
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    }
    ssize_t n;
    do {
        n = sendmsg(socket, &message, flags | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

// The byte into *BYTE and the fd sent with it into *FD (-1: none; it
// arrives CLOEXEC). 0, or -1 with errno (EPIPE at end of stream).
static inline int sr_receive_byte_and_fd(int socket, char *byte, int *fd) {
    struct iovec iov = {.iov_base = byte, .iov_len = 1};
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space};
    ssize_t n;
    do {
        n = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (n == 0) errno = EPIPE;
        return -1;
    }
    *fd = -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS && cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(cmsg), sizeof *fd);
    return 0;
}

#endif
