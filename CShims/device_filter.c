// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program that
// the kernel runs on every open or mknod of a device node by a process in
// the cgroup (Documentation/admin-guide/cgroup-v2.rst, "Device
// controller"). It is the v2 form of the v1 devices.allow/devices.deny
// lists, as runc and crun generate it.
//
// The program, for rules r1..rn (later rules win, as in devices.allow):
//   load type, access, major, minor from struct bpf_cgroup_dev_ctx;
//   for r = rn down to r1: if it matches, return r.allow;
//   return 0 (deny).
// A rule matches when its type, major and minor match (unless wildcards)
// and the access asked for is within the rule's.
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
    if (count * 8 + 10 > MAX_INSNS) {
        errno = E2BIG;
        return -1;
    }
    // r2 = type, r3 = access, r4 = major, r5 = minor (r1 is the context).
    prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 2, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
    prog[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, 3, 2, 0, 0);
    prog[n++] = insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
    prog[n++] = insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
    prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 4, 1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
    prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
    for (int r = count - 1; r >= 0; r--) {
        const sr_device_rule *rule = &rules[r];
        int checks = (rule->type != 0) + (rule->major >= 0) + (rule->minor >= 0);
        int length = checks + 3 + 2;  // the field checks, the access check, the return
        int end = n + length;
        if (rule->type != 0) {
            n++, prog[n - 1] = insn(BPF_JMP | BPF_JNE | BPF_K, 2, 0, (int16_t)(end - n), rule->type);
        }
        if (rule->major >= 0) {
            n++, prog[n - 1] = insn(BPF_JMP | BPF_JNE | BPF_K, 4, 0, (int16_t)(end - n), rule->major);
        }
        if (rule->minor >= 0) {
            n++, prog[n - 1] = insn(BPF_JMP | BPF_JNE | BPF_K, 5, 0, (int16_t)(end - n), rule->minor);
        }
        // (access & ~rule access) != 0: asks for more than the rule covers.
        prog[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, 6, 3, 0, 0);
        prog[n++] = insn(BPF_ALU | BPF_AND | BPF_K, 6, 0, 0, ~(int32_t)rule->access);
        n++, prog[n - 1] = insn(BPF_JMP | BPF_JNE | BPF_K, 6, 0, (int16_t)(end - n), 0);
        prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, rule->allow ? 1 : 0);
        prog[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
    prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
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
