// The child's identity steps: resource limits, the seccomp filter, the
// user and groups, and the capability sets. ../shared/SECURITY.md fixes
// their order; child.c calls them in it.
#define _GNU_SOURCE
#include "child_internal.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

void sr_set_rlimits(const sr_child_spec *spec) {
    for (int i = 0; i < spec->rlimit_count; i++) {
        struct rlimit limit = {.rlim_cur = spec->rlimits[i].soft, .rlim_max = spec->rlimits[i].hard};
        if (setrlimit(spec->rlimits[i].resource, &limit) < 0) sr_fail(spec, SR_STEP_RLIMITS, i);
        if (spec->narrate) {
            sr_text t = {.length = 0};
            sr_text_add(&t, "setrlimit(");
            sr_text_number(&t, spec->rlimits[i].resource);
            sr_text_add(&t, ", soft ");
            sr_text_number(&t, (long long)spec->rlimits[i].soft);
            sr_text_add(&t, ", hard ");
            sr_text_number(&t, (long long)spec->rlimits[i].hard);
            sr_text_add(&t, ")");
            sr_narrate(spec, SR_STEP_RLIMITS, i, &t);
        }
    }
}

// Without no_new_privs the kernel accepts a filter only from a task holding
// CAP_SYS_ADMIN, so this runs before capabilities are dropped (seccomp(2)).
void sr_load_seccomp(const sr_child_spec *spec) {
    if (spec->seccomp_filter == NULL) return;
    struct sock_fprog program = {
        .len = spec->seccomp_length,
        .filter = (struct sock_filter *)spec->seccomp_filter,
    };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0) sr_fail(spec, SR_STEP_SECCOMP, -1);
    if (spec->narrate) {
        sr_text t = {.length = 0};
        sr_text_add(&t, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {");
        sr_text_number(&t, spec->seccomp_length);
        sr_text_add(&t, " BPF instructions})");
        sr_narrate(spec, SR_STEP_SECCOMP, -1, &t);
    }
}

// Dropping from the bounding set needs CAP_SETPCAP in the effective set,
// which a switch to a non-root uid clears: so this comes first.
void sr_drop_bounding_set(const sr_child_spec *spec) {
    sr_text t = {.length = 0};
    sr_text_add(&t, "prctl(PR_CAPBSET_DROP, cap) for cap in");
    for (int cap = 0; cap < 64; cap++) {
        if (spec->cap_bounding & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) break;  // past the kernel's last capability
            sr_fail(spec, SR_STEP_CAP_BOUNDING, cap);
        }
        sr_text_add(&t, " ");
        sr_text_number(&t, cap);
    }
    sr_narrate(spec, SR_STEP_CAP_BOUNDING, -1, &t);
}

// setgroups always runs, even with no groups: the host root's supplementary
// groups must not follow it into the container. PR_SET_KEEPCAPS keeps the
// permitted set across setresuid, so capset can still set it afterwards.
void sr_switch_user(const sr_child_spec *spec) {
    if (syscall(SYS_setgroups, spec->group_count, spec->groups) < 0) sr_fail(spec, SR_STEP_USER, -1);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_USER, -1);
    // Raw syscalls: glibc's wrappers would signal every thread (setxid),
    // and this copy of a multi-threaded process has one.
    if (syscall(SYS_setresgid, spec->gid, spec->gid, spec->gid) < 0) sr_fail(spec, SR_STEP_USER, -1);
    if (syscall(SYS_setresuid, spec->uid, spec->uid, spec->uid) < 0) sr_fail(spec, SR_STEP_USER, -1);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_USER, -1);
    // A credential change clears the parent-death signal (prctl(2)): set it
    // again, unless the process is to outlive its caller.
    if (!spec->survive_parent && (spec->uid != 0 || spec->gid != 0)) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) sr_fail(spec, SR_STEP_USER, -1);
    }
    if (spec->narrate) {
        sr_text t = {.length = 0};
        sr_text_add(&t, "setgroups(");
        sr_text_number(&t, spec->group_count);
        sr_text_add(&t, " groups); setresgid(");
        sr_text_number(&t, spec->gid);
        sr_text_add(&t, "); setresuid(");
        sr_text_number(&t, spec->uid);
        sr_text_add(&t, ")");
        sr_narrate(spec, SR_STEP_USER, -1, &t);
    }
}

// A new user namespace: the parent has written its maps before the go
// byte. Until this process takes uid and gid 0 there, it is the host's root,
// which the namespace does not map, and every file it made would fail
// (EOVERFLOW). Its capabilities in the namespace stay: the uid it leaves
// is not the namespace's root. The credential change clears PDEATHSIG,
// which is set again.
void sr_become_namespace_root(const sr_child_spec *spec) {
    if (syscall(SYS_setresgid, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_USERNS_ROOT, -1);
    if (syscall(SYS_setresuid, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_USERNS_ROOT, -1);
    if (sr_dies_with_parent(spec) && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        sr_fail(spec, SR_STEP_USERNS_ROOT, -1);
    sr_narrate_call(spec, SR_STEP_USERNS_ROOT, "setresgid(0, 0, 0); setresuid(0, 0, 0) in the new user namespace");
}

void sr_set_capabilities(const sr_child_spec *spec) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {
        {(uint32_t)spec->cap_effective, (uint32_t)spec->cap_permitted, (uint32_t)spec->cap_inheritable},
        {(uint32_t)(spec->cap_effective >> 32), (uint32_t)(spec->cap_permitted >> 32),
         (uint32_t)(spec->cap_inheritable >> 32)},
    };
    if (syscall(SYS_capset, &header, data) < 0) sr_fail(spec, SR_STEP_CAPS, -1);
    if (spec->narrate) {
        sr_text t = {.length = 0};
        sr_text_add(&t, "capset(effective ");
        sr_text_number(&t, (long long)spec->cap_effective);
        sr_text_add(&t, ", permitted ");
        sr_text_number(&t, (long long)spec->cap_permitted);
        sr_text_add(&t, ", inheritable ");
        sr_text_number(&t, (long long)spec->cap_inheritable);
        sr_text_add(&t, ")");
        sr_narrate(spec, SR_STEP_CAPS, -1, &t);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_AMBIENT, -1);
    sr_narrate_call(spec, SR_STEP_AMBIENT, "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
}
