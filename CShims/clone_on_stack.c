#include "clone_on_stack.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

// The child's registers are the parent's but rax (0) and rsp (the new
// stack's top), so FN and ARG ride in r12 and r13, which the syscall
// preserves. ARG is the caller's: with fork semantics the child has a copy
// at the same address; with shared memory it must outlive the caller's
// use of it. The stack's top is 16-byte aligned, as the call expects.
long sr_clone3_on_stack(struct clone_args *args, void (*fn)(const void *), const void *arg) {
#if defined(__x86_64__)
    long ret;
    register void (*function)(const void *) __asm__("r12") = fn;
    register const void *argument __asm__("r13") = arg;
    __asm__ volatile("syscall\n\t"
                     "testq %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "xorl %%ebp, %%ebp\n\t"
                     "movq %%r13, %%rdi\n\t"
                     "callq *%%r12\n\t"
                     "ud2\n"
                     "1:"
                     : "=a"(ret)
                     : "0"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(function), "r"(argument)
                     : "rcx", "r11", "memory");
    return ret;
#else
    args->stack = 0;
    args->stack_size = 0;
    long pid = syscall(SYS_clone3, args, sizeof *args);
    if (pid == 0) fn(arg);
    return pid < 0 ? -errno : pid;
#endif
}
