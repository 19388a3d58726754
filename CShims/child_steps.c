// The child's steps by name, with why each is there and where to read
// more: the words --explain and error messages use. Indexed by sr_step.
#include "CShims.h"

#include <stddef.h>

static const struct {
    const char *name, *why, *manual;
} steps[SR_STEP_COUNT] = {
    [SR_STEP_PDEATHSIG] = {"prctl PR_SET_PDEATHSIG", "the container dies if swiftrun dies", "prctl(2)"},
    [SR_STEP_WAIT_PARENT] = {"wait for parent", "the parent records the pid and sets up cgroups first", "pipe(7)"},
    [SR_STEP_UNSHARE_CGROUP] = {"unshare cgroup namespace", "the container sees its own cgroup as the root", "cgroup_namespaces(7)"},
    [SR_STEP_SETSID] = {"setsid", "a new session: no TIOCSTI into your terminal", "setsid(2)"},
    [SR_STEP_DUMPABLE] = {"prctl PR_SET_DUMPABLE", "nobody may ptrace the child while it holds host fds", "prctl(2)"},
    [SR_STEP_MOUNT_PRIVATE] = {"make / private", "no mount made here propagates to the host", "mount_namespaces(7)"},
    [SR_STEP_MOUNT_OVERLAY] = {"mount overlay rootfs", "the image layers, read-only, under a writable upper dir", "overlayfs(5)"},
    [SR_STEP_OPEN_ROOTFS] = {"open rootfs", "every later path resolves from this fd, inside the rootfs", "openat2(2)"},
    [SR_STEP_MOUNT_PROC] = {"mount /proc", "a proc that shows only the new pid namespace", "proc(5)"},
    [SR_STEP_MOUNT_DEV] = {"mount /dev", "a private /dev with only the standard nodes", "tmpfs(5)"},
    [SR_STEP_MKNOD] = {"mknod /dev", "the device nodes every program expects", "mknod(2)"},
    [SR_STEP_DEV_SYMLINKS] = {"symlink /dev", "/dev/fd, /dev/stdin and friends", "symlink(2)"},
    [SR_STEP_MOUNT_DEVPTS] = {"mount /dev/pts", "a new pty instance, not the host's", "pts(4)"},
    [SR_STEP_MOUNT_SHM] = {"mount /dev/shm", "shared memory private to the container", "shm_overview(7)"},
    [SR_STEP_MOUNT_MQUEUE] = {"mount /dev/mqueue", "the new ipc namespace's message queues", "mq_overview(7)"},
    [SR_STEP_MOUNT_SYS] = {"mount /sys", "the new network namespace's view, read-only", "sysfs(5)"},
    [SR_STEP_MOUNT_EXTRA] = {"mount", "a volume or tmpfs you asked for", "mount(2)"},
    [SR_STEP_DEVICES] = {"create device", "a device you granted with --device", "mknod(2)"},
    [SR_STEP_VERIFY_DEVNULL] = {"verify /dev/null is the 1:3 device", "masking must use the real /dev/null (CVE-2025-31133)", "null(4)"},
    [SR_STEP_MASK_PATHS] = {"mask path", "hides a kernel file that leaks host data", "proc(5)"},
    [SR_STEP_READONLY_PATHS] = {"make path read-only", "the container may read this kernel interface, not change it", "mount(2)"},
    [SR_STEP_PIVOT_ROOT] = {"pivot_root", "the rootfs becomes /", "pivot_root(2)"},
    [SR_STEP_UMOUNT_OLD_ROOT] = {"unmount old root", "the host's files are out of reach, unlike with chroot", "umount2(2)"},
    [SR_STEP_READONLY_ROOT] = {"remount / read-only", "--read-only", "mount(2)"},
    [SR_STEP_HOSTNAME] = {"sethostname", "the uts namespace has its own name", "uts_namespaces(7)"},
    [SR_STEP_LOOPBACK] = {"bring up lo", "the new network namespace starts with lo down", "netdevice(7)"},
    [SR_STEP_RLIMITS] = {"setrlimit", "a resource limit you asked for", "setrlimit(2)"},
    [SR_STEP_CHDIR] = {"chdir", "the working directory, inside the rootfs", "chdir(2)"},
    [SR_STEP_GETCWD] = {"getcwd", "a cwd outside the root fails here (CVE-2024-21626)", "getcwd(3)"},
    [SR_STEP_IDENTITY] = {"namespaces", "what the container sees of itself", "namespaces(7)"},
    [SR_STEP_SECCOMP] = {"load seccomp filter", "syscalls outside the profile fail", "seccomp(2)"},
    [SR_STEP_CAP_BOUNDING] = {"drop bounding capability", "no process in the container can ever regain these", "capabilities(7)"},
    [SR_STEP_USER] = {"switch user", "run as the image's or your user", "setresuid(2)"},
    [SR_STEP_CAPS] = {"capset", "root in the container keeps only these powers", "capabilities(7)"},
    [SR_STEP_AMBIENT] = {"clear ambient capabilities", "no capability passes through execve by accident", "capabilities(7)"},
    [SR_STEP_NO_NEW_PRIVS] = {"prctl PR_SET_NO_NEW_PRIVS", "setuid binaries cannot raise privileges", "prctl(2)"},
    [SR_STEP_SIGNALS] = {"reset signals", "the program starts with default signal handling", "signal(7)"},
    [SR_STEP_CLOSE_FDS] = {"close_range", "no host fd leaks into the container", "close_range(2)"},
    [SR_STEP_INIT_FORK] = {"fork command under --init", "pid 1 stays a reaper", "clone(2)"},
    [SR_STEP_EXEC] = {"exec", "the container's program replaces swiftrun's code", "execve(2)"},
    [SR_STEP_JOIN] = {"setns", "exec joins the running container's namespaces", "setns(2)"},
    [SR_STEP_JOIN_FORK] = {"fork into the pid namespace", "setns(CLONE_NEWPID) applies to children only", "pid_namespaces(7)"},
    [SR_STEP_CONSOLE] = {"open pty", "-t: a terminal from the container's own devpts", "pts(4)"},
    [SR_STEP_JOIN_NAMESPACES] = {"join namespace", "a namespace made before the clone3 is joined: another container's, an engine's, or the network namespace a thread of the parent made meanwhile", "setns(2)"},
    [SR_STEP_MOUNT_ROOT] = {"bind rootfs", "the bundle's root dir becomes a mount point of its own, for pivot_root", "mount(2)"},
    [SR_STEP_SYSCTL] = {"write sysctl", "a kernel setting of the container's own namespaces", "sysctl(8)"},
    [SR_STEP_CREATED] = {"created", "set up; the command waits for start", "fifo(7)"},
    [SR_STEP_EXEC_FIFO] = {"wait for start", "the exec fifo opens when start reads it", "fifo(7)"},
    [SR_STEP_RUNTIME_HOOKS] = {"runtime hooks", "prestart and createRuntime hooks run in the runtime's namespaces, the tree mounted", "runtime-spec config.md"},
    [SR_STEP_CONTAINER_HOOK] = {"container hook", "a bundle's hook, run in the container's namespaces", "runtime-spec config.md"},
    [SR_STEP_CLONED] = {"clone3", "the container's first process exists", "clone(2)"},
    [SR_STEP_JOIN_CGROUP_V1] = {"join v1 cgroup",
                                "moving only itself, the child takes no global lock and waits for no RCU grace period",
                                "cgroups(7)"},
    [SR_STEP_USERNS_ROOT] = {"become root of the user namespace", "root in the container is an unprivileged uid of the host", "user_namespaces(7)"},
    [SR_STEP_WAIT_PARENT_SETUP] = {"wait for the device filter", "the parent attached it while we mounted", "pipe(7)"},
    [SR_STEP_NETWORK] = {"configure eth0", "the veth end the parent put in our namespace gets its address and route", "rtnetlink(7)"},
};

static int known(int32_t step) { return step > 0 && step < SR_STEP_COUNT && steps[step].name != NULL; }

const char *sr_step_name(int32_t step) { return known(step) ? steps[step].name : "unknown step"; }
const char *sr_step_why(int32_t step) { return known(step) ? steps[step].why : ""; }
const char *sr_step_manual(int32_t step) { return known(step) ? steps[step].manual : ""; }
