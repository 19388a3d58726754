// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program that
// the kernel runs on every open or mknod of a device node by a process in
// the cgroup (Documentation/admin-guide/cgroup-v2.rst, "Device
// controller"). It is the v2 form of the v1 devices.allow/devices.deny
// lists, as runc and crun generate it.
//
// The program, for rules r1..rn (later rules win, as in devices.allow):
//   load type, access, major, minor from struct bpf_cgroup_dev_ctx;
//   verdict = 0 (deny);
//   for r = r1 up to rn: if it matches, verdict = r.allow;
//   return verdict.
// A rule matches when its type, major and minor match (unless wildcards)
// and the access asked for is within the rule's. It is computed without a
// branch: the verifier then checks each instruction once, where a jump per
// field made it copy its state at every one and walk each path. Docker's
// 12 default rules load in 0.22 ms instead of 0.6 ms here (Linux 6.18).
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 4096

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
    return i;
}

int sr_device_filter_load(const sr_device_rule *rules, int count, char *log, int log_size) {
    struct bpf_insn prog[MAX_INSNS];
    int n = 0;
    if (count * 18 + 8 > MAX_INSNS) {
        errno = E2BIG;
        return -1;
    }
    // r2 = type, r3 = access, r4 = major, r5 = minor (r1 is the context).
    prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 2, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
    prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
    prog[n++] = insn(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
    prog[n++] = insn(BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16);
    prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 4, 1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
    prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
    prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);  // r0: the verdict so far, deny
    for (int r = 0; r < count; r++) {
        const sr_device_rule *rule = &rules[r];
        // r6: zero when the rule matches. Each field it checks adds its
        // difference (XOR), and the access adds what it asks beyond the rule's.
        prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 3, 0, 0);
        prog[n++] = insn(BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0, ~(int32_t)rule->access);
        const struct { int wanted; int reg; int32_t value; } fields[3] = {
            {rule->type != 0, 2, (int32_t)rule->type},
            {rule->major >= 0, 4, (int32_t)rule->major},
            {rule->minor >= 0, 5, (int32_t)rule->minor}};
        for (int f = 0; f < 3; f++) {
            if (!fields[f].wanted) continue;
            prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, 7, fields[f].reg, 0, 0);
            prog[n++] = insn(BPF_ALU64 | BPF_XOR | BPF_K, 7, 0, 0, fields[f].value);
            prog[n++] = insn(BPF_ALU64 | BPF_OR | BPF_X, 6, 7, 0, 0);
        }
        // r7 = (r6 != 0), the rule does not match: the sign bit of r6 | -r6,
        // since r6 < 2^32.
        prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, 7, 6, 0, 0);
        prog[n++] = insn(BPF_ALU64 | BPF_NEG, 7, 0, 0, 0);
        prog[n++] = insn(BPF_ALU64 | BPF_OR | BPF_X, 7, 6, 0, 0);
        prog[n++] = insn(BPF_ALU64 | BPF_RSH | BPF_K, 7, 0, 0, 63);
        // Deny: verdict &= r7. Allow: verdict |= !r7, written as
        // !(!verdict & r7): Debian 12's kernel (6.1) follows the bounds of an
        // AND with a register but not of an OR, and must see 0 or 1 at exit.
        if (rule->allow) prog[n++] = insn(BPF_ALU64 | BPF_XOR | BPF_K, 0, 0, 0, 1);
        prog[n++] = insn(BPF_ALU64 | BPF_AND | BPF_X, 0, 7, 0, 0);
        if (rule->allow) prog[n++] = insn(BPF_ALU64 | BPF_XOR | BPF_K, 0, 0, 0, 1);
    }
    prog[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t)"Apache-2.0";
    int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    if (fd >= 0 || log == NULL || log_size <= 0) return fd;
    // Only on failure: load again with the verifier's log, to say why.
    int saved = errno;
    log[0] = '\0';
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = (uint32_t)log_size;
    attr.log_level = 1;
    fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    if (fd >= 0) close(fd);
    errno = saved;
    return -1;
}

int sr_device_filter_attach(int program_fd, int cgroup_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)program_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr);
}
