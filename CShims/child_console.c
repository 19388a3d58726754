// -t: the container's terminal. The pty comes from the container's own
// devpts instance (mounted with newinstance), so `tty` prints /dev/pts/0
// inside and no host terminal is ever handed in. The master goes to the
// parent over a unix socket, as runc sends it to --console-socket; the
// slave becomes stdio and the controlling terminal of our new session.
#define _GNU_SOURCE
#include "child_internal.h"
#include "fd_passing.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

void sr_setup_console(const sr_child_spec *spec) {
    // In exec, the container's root could have put a fifo (open would
    // hang) or another device at /dev/ptmx: open without blocking and
    // accept only the ptmx device, 5:2.
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (master < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    struct stat info;
    if (fstat(master, &info) < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    if (!S_ISCHR(info.st_mode) || info.st_rdev != makedev(5, 2)) {
        errno = ENOTTY;
        sr_fail(spec, SR_STEP_CONSOLE, -1);
    }
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    // The slave through the master, not by a path the container controls.
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    if (spec->console_rows > 0 && spec->console_cols > 0) {
        struct winsize size = {.ws_row = spec->console_rows, .ws_col = spec->console_cols};
        if (ioctl(slave, TIOCSWINSZ, &size) < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    }
    int flags = fcntl(master, F_GETFL);
    if (flags < 0 || fcntl(master, F_SETFL, flags & ~O_NONBLOCK) < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    if (sr_send_byte_and_fd(spec->console_fd, 'p', master, 0) < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    close(master);
    close(spec->console_fd);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(slave, fd) < 0) sr_fail(spec, SR_STEP_CONSOLE, -1);
    if (slave > 2) close(slave);
    sr_narrate_call(spec, SR_STEP_CONSOLE, "open(\"/dev/ptmx\"); ioctl(TIOCGPTPEER); sendmsg(SCM_RIGHTS master); ioctl(TIOCSCTTY)");
}
