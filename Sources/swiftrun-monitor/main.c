// swiftrun-monitor: what a detached container's monitor becomes while the
// container runs. swiftrun starts the container, then execs this program
// in the same process, so the container stays its child; it copies the
// container's output into the json-file log (CShims/monitor.c) and, when
// pid 1 exits, execs swiftrun again to record the exit and apply the
// restart policy. Being a small C program, it holds about a tenth of the
// memory the swiftrun binary would.
//
//   swiftrun-monitor PID STDOUT_FD STDERR_FD LOG|- MAX_SIZE MAX_FILES SWIFTRUN ROOT ID HEALTH_MS
//                    ATTACH_DIR ATTACH_FD TTY STDIN_FD ATTACHED_FD STDIN_ONCE
//
// HEALTH_MS: every so many milliseconds it runs `swiftrun --root ROOT
// __health-check ID` (0: the container has no health check). ATTACH_DIR
// holds the attach socket that ATTACH_FD (-1: none) listens on, bound
// before `run -d` returned; TTY is 1 when STDOUT_FD is a pty master;
// STDIN_FD (-1: none) takes what attached clients type; ATTACHED_FD (-1:
// none) is `start -a`'s client, there before the container started.
#include "CShims.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 17) {
        fprintf(stderr, "swiftrun-monitor: started by swiftrun run -d, not by hand\n");
        return 2;
    }
    sr_monitor_spec spec = {
        .pid = (pid_t)atoi(argv[1]),
        .stdout_fd = atoi(argv[2]),
        .stderr_fd = atoi(argv[3]),
        .log_path = strcmp(argv[4], "-") == 0 ? NULL : argv[4],
        .max_size = atoll(argv[5]),
        .max_files = atoi(argv[6]),
        .health_interval_ms = atoll(argv[10]),
        .attach_dir = argv[11],
        .attach_fd = atoi(argv[12]),
        .tty = atoi(argv[13]),
        .stdin_fd = atoi(argv[14]),
        .attached_fd = atoi(argv[15]),
        .stdin_once = atoi(argv[16]),
    };
    const char *health[] = {argv[7], "--root", argv[8], "__health-check", argv[9], NULL};
    spec.health_argv = health;
    // pid 1 is our unreaped child: its pid cannot be reused until we wait.
    spec.pidfd = sr_pidfd_open(spec.pid);
    int status = SIGKILL;  // if the wait itself fails, the exit is recorded as a kill
    if (spec.pidfd < 0) {
        if (spec.attach_fd >= 0) close(spec.attach_fd);
    } else if (sr_monitor_supervise(&spec, &status) < 0) {
        status = SIGKILL;
    }
    close(spec.pidfd);
    if (spec.stdout_fd >= 0) close(spec.stdout_fd);
    if (spec.stderr_fd >= 0) close(spec.stderr_fd);
    if (spec.stdin_fd >= 0 && spec.stdin_fd != spec.stdout_fd) close(spec.stdin_fd);
    char status_text[16];
    snprintf(status_text, sizeof status_text, "%d", status);
    char *const args[] = {argv[7], "--root", argv[8], "__monitor-exited", argv[9], status_text, NULL};
    execv(argv[7], args);
    perror("swiftrun-monitor: exec swiftrun");
    return 1;
}
