// The monitor's attach socket (attach.c), used by its loop (monitor.c).
// Not exported to Swift.
#ifndef SWIFTRUN_MONITOR_ATTACH_H
#define SWIFTRUN_MONITOR_ATTACH_H

#include "CShims.h"

#include <stddef.h>

enum { SR_ATTACH_CLIENTS = 8 };

typedef struct {
    int listen_fd;                      // -1: no socket
    int dir_fd;                         // the container's dir, where attach.sock lives
    int clients[SR_ATTACH_CLIENTS];     // -1: a free slot
    int reading[SR_ATTACH_CLIENTS];     // 0 once a client's input has ended: it still gets output
    int tty;                            // raw bytes, else Docker's stream framing
    int master;                         // the pty master, passed to clients; or -1
    int stdin_fd;                       // where clients' input goes (-i); or -1
    int once_fd;                        // the client whose end of input ends stdin (StdinOnce); or -1
} sr_attach_hub;

// Takes LISTEN_FD (sr_attach_listen's socket at DIR/attach.sock; -1:
// none), and ATTACHED (-1: none) as a first client. 0, or -1 with errno.
int sr_attach_open(sr_attach_hub *hub, const char *dir, int listen_fd, int attached);
void sr_attach_accept(sr_attach_hub *hub);
// STREAM: 1 stdout, 2 stderr.
void sr_attach_broadcast(sr_attach_hub *hub, int stream, const char *bytes, size_t length);
// Client I has input (or hung up).
void sr_attach_input(sr_attach_hub *hub, int i);
void sr_attach_close(sr_attach_hub *hub);

#endif
