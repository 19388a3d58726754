// Helpers shared by the child's source files (child_*.c). Not exported to
// Swift: everything here runs only in the container child, between clone3
// and execve, under its rules (no malloc, no stdio, no Swift).
#ifndef SWIFTRUN_CHILD_INTERNAL_H
#define SWIFTRUN_CHILD_INTERNAL_H

#include "CShims.h"

#define SR_PATH_MAX 4096

// Report (step, errno, detail) to the parent and exit. Once the report pipe
// is closed (a created container waiting for start), say it on stderr.
_Noreturn void sr_fail(const sr_child_spec *spec, sr_step step, int detail);
void sr_close_report(const sr_child_spec *spec);

// --explain: a step's call, built on the stack, sent as one record.
typedef struct {
    char text[SR_REPORT_TEXT_MAX];
    size_t length;
} sr_text;
void sr_text_add(sr_text *t, const char *s);
void sr_text_quoted(sr_text *t, const char *s);
void sr_text_number(sr_text *t, long long value);
void sr_text_mount_flags(sr_text *t, unsigned long flags);
void sr_narrate(const sr_child_spec *spec, sr_step step, int detail, const sr_text *t);
// The same for a call with no arguments to show: a constant string.
void sr_narrate_call(const sr_child_spec *spec, sr_step step, const char *call);
// The same for a call with one string argument: BEFORE "ARGUMENT" AFTER.
void sr_narrate_quoted(const sr_child_spec *spec, sr_step step, const char *before, const char *argument, const char *after);

// A record that is not a failure, sent whether or not the child narrates:
// exec's intermediate process tells the parent the pid it forked.
void sr_report_value(const sr_child_spec *spec, sr_step step, int value);

// child_mounts.c
void sr_fd_path(char buf[32], int fd);
int sr_mount_in_root(const sr_child_spec *spec, sr_step step, int dirfd, const char *name,
                     const char *source, const char *fstype, unsigned long flags, const char *data);
void sr_make_standard_devices(const sr_child_spec *spec, int devfd);
// A bundle: the standard nodes and links, when its /dev is a tmpfs.
void sr_make_standard_devices_in_tmpfs(const sr_child_spec *spec, int rootfd);
void sr_write_sysctls(const sr_child_spec *spec, int rootfd);
void sr_mount_extra(const sr_child_spec *spec, int rootfd);
void sr_make_devices(const sr_child_spec *spec, int rootfd);
void sr_mask_paths(const sr_child_spec *spec, int rootfd);
void sr_make_paths_readonly(const sr_child_spec *spec, int rootfd);

// child_identity.c
void sr_set_rlimits(const sr_child_spec *spec);
void sr_load_seccomp(const sr_child_spec *spec);
void sr_drop_bounding_set(const sr_child_spec *spec);
void sr_switch_user(const sr_child_spec *spec);
void sr_become_namespace_root(const sr_child_spec *spec);
void sr_set_capabilities(const sr_child_spec *spec);

// child_console.c
void sr_setup_console(const sr_child_spec *spec);

// child_hooks.c: the parent's pause for its hooks (one more byte on the
// sync pipe), and the hooks of one stage, run in order.
void sr_pause_for_hooks(const sr_child_spec *spec);
void sr_run_hooks(const sr_child_spec *spec, int stage);
// A hook that failed: err > 0 an errno; else -err is its exit status.
_Noreturn void sr_fail_hook(const sr_child_spec *spec, int index, int err);

// Until it is set up, the child dies with its parent (PDEATHSIG), unless
// it is an `exec -d` that outlives its caller at once; a bundle's child
// outlives `create` only once created (sr_wait_for_start).
static inline int sr_dies_with_parent(const sr_child_spec *spec) {
    return !spec->survive_parent || spec->exec_fifo_fd >= 0;
}

// child.c: the parent's go byte (EOF: it died first), and any later byte.
void sr_wait_for_go(const sr_child_spec *spec);
void sr_join_cgroups_v1(const sr_child_spec *spec);
void sr_read_sync_byte(const sr_child_spec *spec, sr_step step);

// child_join.c
_Noreturn void sr_join_container(const sr_child_spec *spec);
// The steps after the root is in place, shared by run and exec: the
// working dir, then seccomp, capabilities, user, and the exec itself.
_Noreturn void sr_finish_and_exec(const sr_child_spec *spec);
int sr_enter_dir(const char *dir, int create);

// child_exec.c
int sr_reset_signals(void);
// create: report SR_STEP_CREATED, close the report pipe, block until start.
void sr_wait_for_start(const sr_child_spec *spec);
_Noreturn void sr_exec(const sr_child_spec *spec);

#endif
