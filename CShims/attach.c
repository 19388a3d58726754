// The monitor's attach socket: `swiftrun attach` connects to
// containers/<id>/attach.sock and gets what the container writes from then
// on, and what it types goes to the container's stdin (with -i). With a
// tty the bytes go as they are, and the pty master itself is passed to
// each client (SCM_RIGHTS) so it can set the window size; without one,
// each chunk carries Docker's stream header (1 stdout, 2 stderr, then a
// big-endian length), the framing of the Engine API's attach.
//
// The monitor must never block on a client: writes are MSG_DONTWAIT, and a
// client that cannot keep up is dropped, as a slow reader of a log would be
// left behind.
#define _GNU_SOURCE
#include "monitor_attach.h"
#include "fd_passing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// bind(2) takes at most 108 bytes of path; a store's container dirs can be
// deeper, so the socket is named through an fd of its directory.
static int socket_address(int dir_fd, struct sockaddr_un *address) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    int n = snprintf(address->sun_path, sizeof address->sun_path, "/proc/self/fd/%d/attach.sock", dir_fd);
    return n > 0 && (size_t)n < sizeof address->sun_path ? 0 : -1;
}

static int add_client(sr_attach_hub *hub, int client);

int sr_attach_listen(const char *dir) {
    int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return -1;
    struct sockaddr_un address;
    int fd = -1;
    if (socket_address(dir_fd, &address) < 0) errno = ENAMETOOLONG;
    else fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0) {
        unlinkat(dir_fd, "attach.sock", 0);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, SR_ATTACH_CLIENTS) < 0) {
            int saved = errno;
            close(fd);
            fd = -1;
            errno = saved;
        }
    }
    int saved = errno;
    close(dir_fd);  // the socket's address names it, but only until bind
    errno = saved;
    return fd;
}

int sr_attach_open(sr_attach_hub *hub, const char *dir, int listen_fd, int attached) {
    for (int i = 0; i < SR_ATTACH_CLIENTS; i++) hub->clients[i] = -1;
    hub->listen_fd = listen_fd;
    hub->dir_fd = -1;
    if (attached >= 0) add_client(hub, attached);
    if (listen_fd < 0 || dir == NULL) return 0;
    hub->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);  // where attach.sock is removed at the end
    return hub->dir_fd < 0 ? -1 : 0;
}

// StdinOnce (docker run -i): the first client's end of input is the
// container's. Its stdin pipe's write end is swapped for /dev/null: the
// pipe's last writer is gone, so the container reads EOF, and the fd
// number stays valid for its owner to close.
static void end_stdin(sr_attach_hub *hub) {
    hub->once_fd = -1;
    if (hub->stdin_fd < 0) return;
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0) return;
    dup3(null, hub->stdin_fd, O_CLOEXEC);
    close(null);
}

static void drop(sr_attach_hub *hub, int i) {
    if (hub->clients[i] == hub->once_fd) end_stdin(hub);
    close(hub->clients[i]);
    hub->clients[i] = -1;
}

// The first byte says which framing follows ('t' raw tty, 's' streams);
// with a tty it carries the pty master. 0, or -1 (the client is closed).
static int add_client(sr_attach_hub *hub, int client) {
    int slot = -1;
    for (int i = 0; i < SR_ATTACH_CLIENTS && slot < 0; i++)
        if (hub->clients[i] < 0) slot = i;
    if (slot < 0 || sr_send_byte_and_fd(client, hub->tty ? 't' : 's', hub->tty ? hub->master : -1, MSG_DONTWAIT) < 0) {
        close(client);
        return -1;
    }
    hub->clients[slot] = client;
    hub->reading[slot] = 1;
    return 0;
}

void sr_attach_accept(sr_attach_hub *hub) {
    int client = accept4(hub->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (client >= 0) add_client(hub, client);
}

void sr_attach_broadcast(sr_attach_hub *hub, int stream, const char *bytes, size_t length) {
    unsigned char header[8] = {(unsigned char)stream, 0, 0, 0,
                               (unsigned char)(length >> 24), (unsigned char)(length >> 16),
                               (unsigned char)(length >> 8), (unsigned char)length};
    for (int i = 0; i < SR_ATTACH_CLIENTS; i++) {
        if (hub->clients[i] < 0) continue;
        struct iovec parts[2] = {{.iov_base = header, .iov_len = 8}, {.iov_base = (void *)bytes, .iov_len = length}};
        struct msghdr message = {.msg_iov = hub->tty ? parts + 1 : parts, .msg_iovlen = hub->tty ? 1 : 2};
        size_t wanted = length + (hub->tty ? 0 : 8);
        if (sendmsg(hub->clients[i], &message, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)wanted) drop(hub, i);
    }
}

void sr_attach_input(sr_attach_hub *hub, int i) {
    if (!hub->reading[i]) {  // hung up altogether
        drop(hub, i);
        return;
    }
    char buf[4096];
    ssize_t n = read(hub->clients[i], buf, sizeof buf);
    if (n == 0) {
        hub->reading[i] = 0;  // `echo cmd | swiftrun attach`: its output is still to come
        if (hub->clients[i] == hub->once_fd) end_stdin(hub);
        return;
    }
    if (n < 0) {
        if (errno != EINTR && errno != EAGAIN) drop(hub, i);
        return;
    }
    if (hub->stdin_fd < 0) return;
    sr_write_all(hub->stdin_fd, buf, (size_t)n);
}

void sr_attach_close(sr_attach_hub *hub) {
    for (int i = 0; i < SR_ATTACH_CLIENTS; i++)
        if (hub->clients[i] >= 0) drop(hub, i);
    if (hub->listen_fd >= 0) {
        close(hub->listen_fd);
        unlinkat(hub->dir_fd, "attach.sock", 0);
        hub->listen_fd = -1;
    }
    if (hub->dir_fd >= 0) close(hub->dir_fd);
    hub->dir_fd = -1;
}
