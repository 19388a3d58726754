// The child's last steps: a clean signal state, then execve of the
// container's command, directly or under the --init reaper.
#define _GNU_SOURCE
#include "child_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Signal dispositions set to SIG_IGN survive execve, and so does the mask
// (the parent blocks the signals it forwards). The container starts clean.
int sr_reset_signals(void) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        // glibc reserves 32 and 33 for itself and refuses them: not an error.
        if (sigaction(sig, &dfl, NULL) < 0 && errno != EINVAL) return -1;
    }
    sigset_t empty;
    sigemptyset(&empty);
    return sigprocmask(SIG_SETMASK, &empty, NULL);
}

// execve, or with CHECK_ONLY an access(X_OK) check of the same file.
static int try_file(const sr_child_spec *spec, const char *file, int check_only) {
    if (check_only) return access(file, X_OK);
    return execve(file, (char *const *)spec->argv, (char *const *)spec->envp);
}

// execvp(3) without its allocations: try each $PATH entry in turn. Like
// execvp, a permission error is remembered and reported only if no later
// entry works, so "not found" (127) and "cannot execute" (126) stay distinct.
// With CHECK_ONLY it only looks, and returns 0 when execve would find it.
static int exec_searching_path(const sr_child_spec *spec, int check_only) {
    const char *file = spec->argv[0];
    if (strchr(file, '/') != NULL) return try_file(spec, file, check_only);
    size_t file_len = strlen(file);
    int saw_eacces = 0;
    char buf[SR_PATH_MAX];
    for (const char *dir = spec->path;;) {
        const char *end = strchrnul(dir, ':');
        size_t dir_len = (size_t)(end - dir);
        if (dir_len + 1 + file_len + 1 <= sizeof buf) {
            char *p = buf;
            if (dir_len > 0) {
                memcpy(p, dir, dir_len);
                p += dir_len;
                *p++ = '/';
            }
            memcpy(p, file, file_len + 1);
            if (try_file(spec, buf, check_only) == 0) return 0;
            if (errno == EACCES) {
                saw_eacces = 1;
            } else if (errno != ENOENT && errno != ENOTDIR) {
                return -1;
            }
        }
        if (*end == '\0') break;
        dir = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    return -1;
}

// The last record before execve, which closes the report pipe.
static void narrate_exec(const sr_child_spec *spec) {
    if (!spec->narrate) return;
    sr_text t = {.length = 0};
    sr_text_add(&t, "execve(");
    sr_text_quoted(&t, spec->argv[0]);
    sr_text_add(&t, ", [");
    for (int i = 0; spec->argv[i] != NULL; i++) {
        sr_text_add(&t, i > 0 ? ", " : "");
        sr_text_quoted(&t, spec->argv[i]);
    }
    sr_text_add(&t, "])");
    if (strchr(spec->argv[0], '/') == NULL) {
        sr_text_add(&t, " searching PATH=");
        sr_text_add(&t, spec->path);
    }
    sr_narrate(spec, SR_STEP_EXEC, -1, &t);
}

// --init: pid 1 stays this C code, a reaper in the manner of tini. It forks
// the command, forwards every signal it receives to it, reaps every child
// the namespace hands it (orphans become pid 1's), and exits as the command
// did. It never executes anything, so no binary of the host is ever run
// inside the container, and it stays non-dumpable: its /proc/1/exe cannot be
// opened without CAP_SYS_PTRACE.
static _Noreturn void run_init(const sr_child_spec *spec) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    // fork(2) without glibc's atfork handlers, which may take locks.
    sr_narrate_call(spec, SR_STEP_INIT_FORK, "clone(SIGCHLD): the command runs as pid 2, this reaper stays pid 1");
    pid_t command = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (command < 0) sr_fail(spec, SR_STEP_INIT_FORK, -1);
    if (command == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        narrate_exec(spec);
        exec_searching_path(spec, 0);
        sr_fail(spec, SR_STEP_EXEC, -1);
    }
    // The report pipe must close when the command execs, not when pid 1 exits.
    close(spec->report_fd);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            kill(command, sig);
            continue;
        }
        int status;
        pid_t reaped;
        while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
            if (reaped != command) continue;
            _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
        }
    }
}

_Noreturn void sr_exec(const sr_child_spec *spec) {
    if (spec->init) run_init(spec);
    narrate_exec(spec);
    exec_searching_path(spec, 0);
    sr_fail(spec, SR_STEP_EXEC, -1);
}

// create returns here: everything is set up but the walls on the process
// itself and the exec. A command that is not there is reported now, while
// `create` still reads the report pipe, as runc does. Then the child blocks
// opening the exec fifo for writing, which completes when `start` opens it
// for reading; the fifo is reopened through our own fd (O_PATH, from the
// parent), as the state dir is not in this root.
void sr_wait_for_start(const sr_child_spec *spec) {
    if (exec_searching_path(spec, 1) < 0) sr_fail(spec, SR_STEP_EXEC, -1);
    // Until now a kill -9 of `create` took this child with it. From here
    // the state is on disk (the parent wrote it right after the go byte),
    // so `delete` finds the child, which must outlive create: the signal
    // goes before the record that lets create exit.
    if (prctl(PR_SET_PDEATHSIG, 0) < 0) sr_fail(spec, SR_STEP_EXEC_FIFO, -1);
    sr_report_value(spec, SR_STEP_CREATED, 0);
    sr_close_report(spec);
    char path[32];
    sr_fd_path(path, spec->exec_fifo_fd);
    int fifo;
    do {
        fifo = open(path, O_WRONLY | O_CLOEXEC);
    } while (fifo < 0 && errno == EINTR);
    if (fifo < 0) sr_fail(spec, SR_STEP_EXEC_FIFO, -1);
    if (write(fifo, "0", 1) != 1) sr_fail(spec, SR_STEP_EXEC_FIFO, -1);
    close(fifo);
    close(spec->exec_fifo_fd);
}
