// clone3 onto a stack of the caller's making, running FN(ARG) there: the
// container's child (child.c) and the remover of a --rm container's files
// (remover.c). Not exported to Swift.
#ifndef SWIFTRUN_CLONE_ON_STACK_H
#define SWIFTRUN_CLONE_ON_STACK_H

#include <linux/sched.h>

// In C the child could not return from the syscall: with its own stack it
// has no caller's frame to return into, so FN must never return. Returns
// the pid, or -errno, in the parent. Elsewhere than x86-64, fork semantics
// on the caller's stack.
long sr_clone3_on_stack(struct clone_args *args, void (*fn)(const void *), const void *arg);

#endif
