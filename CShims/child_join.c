// exec: a new process inside a running container, under the same walls.
//
// The process cloned by the parent joins the container's namespaces with
// one setns(2) on a pidfd of its pid 1 (Linux 5.8), which is atomic: all of
// them, or none. Joining a pid namespace moves only the children made
// afterwards, so it forks once more. The fork uses CLONE_PARENT, making the
// new process the parent's own child (the parent waits for it as for a
// container's pid 1); this one reports its pid and exits.
//
// The new process holds no fd of the host's but its stdio and the report
// pipe (CLOEXEC), and stays non-dumpable until execve: the container's root
// cannot ptrace it or open its /proc files meanwhile (CVE-2016-9962). After
// setns(CLONE_NEWNS) its root and cwd are the container's, so every path it
// opens resolves there; getcwd() confirms it before exec (CVE-2024-21626).
#define _GNU_SOURCE
#include "child_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Noreturn void run_joined(const sr_child_spec *spec) {
    // The caller waits for us as it would for pid 1: if it dies, we die,
    // unless exec -d asked us to outlive it. (getppid() is 0 here: the
    // caller is outside our pid namespace.)
    if (!spec->survive_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) sr_fail(spec, SR_STEP_PDEATHSIG, -1);
    // exec -d holds no end of the caller's stdio, or a caller waiting for
    // EOF on them would wait as long as the command runs.
    if (spec->null_fd >= 0) {
        for (int fd = 0; fd <= 2; fd++) dup2(spec->null_fd, fd);
        close(spec->null_fd);
    }
    if (setsid() < 0) sr_fail(spec, SR_STEP_SETSID, -1);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_DUMPABLE, -1);
    if (spec->console_fd >= 0) sr_setup_console(spec);
    sr_finish_and_exec(spec);
}

_Noreturn void sr_join_container(const sr_child_spec *spec) {
    sr_wait_for_go(spec);
    sr_join_cgroups_v1(spec);
    // We are in the container's cgroups now; the fork inherits them.
    if (setns(spec->join_pidfd, (int)spec->join_flags) < 0) sr_fail(spec, SR_STEP_JOIN, -1);
    close(spec->join_pidfd);
    sr_narrate_call(spec, SR_STEP_JOIN, "setns(pidfd, namespaces of the container's pid 1)");
    // The new process waits until its pid is on the report pipe, so the
    // parent learns it before any failure of that process's own.
    int reported[2];
    if (pipe2(reported, O_CLOEXEC) < 0) sr_fail(spec, SR_STEP_JOIN_FORK, -1);
    // fork(2) without glibc's atfork handlers; the exit signal is ours (SIGCHLD).
    long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0) sr_fail(spec, SR_STEP_JOIN_FORK, -1);
    if (pid == 0) {
        close(reported[1]);
        char none;
        while (read(reported[0], &none, 1) < 0 && errno == EINTR) {}
        close(reported[0]);
        run_joined(spec);
    }
    sr_report_value(spec, SR_STEP_JOIN_FORK, (int)pid);
    _exit(0);  // closes reported[1]: the new process goes on
}
