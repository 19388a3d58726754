// CShims: the C layer under swiftrun's Linux primitives.
//
// Two things live here:
//   1. The container child (child.c): everything between clone3 and execve.
//      A Swift process always has threads, so after clone the child may only
//      run async-signal-safe C: raw syscalls, no malloc, no Swift.
//   2. static inline wrappers for what Swift's Glibc module does not import:
//      variadic syscall(2), function-like macros, and missing constants.
//
// Every symbol carries the SR_/sr_ prefix so a reader always knows where
// Swift ends and C begins.
#ifndef SWIFTRUN_CSHIMS_H
#define SWIFTRUN_CSHIMS_H

#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

// The child's setup steps, in the order child.c performs them.
// The child reports a failed step to the parent as (step, errno, detail);
// see docs/ARCHITECTURE.md. Keep the numbering stable: it is on the wire.
typedef enum {
    SR_STEP_PDEATHSIG = 1,     // prctl(PR_SET_PDEATHSIG, SIGKILL)
    SR_STEP_WAIT_PARENT,       // read the parent's go byte (EOF: parent died)
    SR_STEP_UNSHARE_CGROUP,    // new cgroup ns, rooted where the parent placed us
    SR_STEP_JOIN_NAMESPACES,   // setns into each namespace given by path; detail = index
    SR_STEP_SETSID,            // new session: no TIOCSTI into the caller's tty
    SR_STEP_DUMPABLE,          // prctl(PR_SET_DUMPABLE, 0) until execve
    SR_STEP_MOUNT_PRIVATE,     // mount("", "/", MS_REC|MS_PRIVATE)
    SR_STEP_MOUNT_OVERLAY,     // overlay of the image layers on rootfs
    SR_STEP_OPEN_ROOTFS,       // O_PATH fd of the merged rootfs
    SR_STEP_MOUNT_PROC,        // proc on /proc
    SR_STEP_MOUNT_DEV,         // tmpfs on /dev
    SR_STEP_MKNOD,             // null zero full random urandom tty
    SR_STEP_DEV_SYMLINKS,      // fd stdin stdout stderr ptmx
    SR_STEP_MOUNT_DEVPTS,      // devpts (newinstance) on /dev/pts
    SR_STEP_MOUNT_SHM,         // tmpfs on /dev/shm
    SR_STEP_MOUNT_MQUEUE,      // mqueue on /dev/mqueue
    SR_STEP_MOUNT_SYS,         // sysfs, read-only, on /sys
    SR_STEP_MOUNT_EXTRA,       // -v and --tmpfs; detail = index in mounts
    SR_STEP_DEVICES,           // --device nodes; detail = index in devices
    SR_STEP_VERIFY_DEVNULL,    // the host's /dev/null must be the 1:3 device
    SR_STEP_MASK_PATHS,        // /dev/null or empty tmpfs over; detail = index
    SR_STEP_READONLY_PATHS,    // read-only bind over; detail = index
    SR_STEP_PIVOT_ROOT,        // pivot_root(".", ".")
    SR_STEP_UMOUNT_OLD_ROOT,   // umount2(".", MNT_DETACH)
    SR_STEP_READONLY_ROOT,     // --read-only: remount / read-only
    SR_STEP_HOSTNAME,          // sethostname
    SR_STEP_LOOPBACK,          // bring lo up in the new netns
    SR_STEP_NETWORK,           // a bridge network: eth0's address, up, the default route
    SR_STEP_RLIMITS,           // setrlimit; detail = index in rlimits
    SR_STEP_CHDIR,             // mkdir -p + chdir to the working dir
    SR_STEP_GETCWD,            // getcwd must succeed (CVE-2024-21626)
    SR_STEP_IDENTITY,          // --explain only: the namespaces and root as the container sees them
    SR_STEP_SECCOMP,           // load the BPF filter (before caps unless no_new_privs)
    SR_STEP_CAP_BOUNDING,      // PR_CAPBSET_DROP every cap not kept
    SR_STEP_USER,              // setgroups, setresgid, setresuid (PR_SET_KEEPCAPS)
    SR_STEP_CAPS,              // capset: effective, permitted, inheritable
    SR_STEP_AMBIENT,           // PR_CAP_AMBIENT_CLEAR_ALL
    SR_STEP_NO_NEW_PRIVS,      // PR_SET_NO_NEW_PRIVS
    SR_STEP_SIGNALS,           // default dispositions, empty mask
    SR_STEP_CLOSE_FDS,         // close_range(3, ~0, CLOSE_RANGE_CLOEXEC)
    SR_STEP_INIT_FORK,         // --init: fork the command under the reaper
    SR_STEP_EXEC,              // execve, searching $PATH like execvp
    // Added later, so numbered after the run sequence they join:
    SR_STEP_JOIN,              // exec: setns(pidfd) into the container's namespaces
    SR_STEP_JOIN_FORK,         // exec: fork into its pid namespace; detail = the pid
    SR_STEP_CONSOLE,           // -t: a pty from the container's devpts, master sent to the parent
    SR_STEP_MOUNT_ROOT,        // a bundle's rootfs: bind-mounted onto itself
    SR_STEP_SYSCTL,            // linux.sysctl: write /proc/sys/...; detail = index
    SR_STEP_CREATED,           // a bundle's container is set up and waits for start (not a failure)
    SR_STEP_EXEC_FIFO,         // wait for start: open the exec fifo for writing
    SR_STEP_RUNTIME_HOOKS,     // before pivot_root: the parent runs prestart and createRuntime (not a failure)
    SR_STEP_CONTAINER_HOOK,    // a createContainer or startContainer hook; detail = index, err < 0: -(exit status)
    SR_STEP_USERNS_ROOT,       // a new user namespace: setresgid/setresuid(0) in it, once mapped
    SR_STEP_CLONED,            // the child's first record: it exists, its pid is known (not a failure)
    SR_STEP_JOIN_CGROUP_V1,    // a v1 hierarchy: "0" to its tasks file, moving ourselves; detail = index
    SR_STEP_WAIT_PARENT_SETUP, // before execve: the parent's second byte (the device filter), where eth0 did not take it
    SR_STEP_COUNT
} sr_step;

// One record on the report pipe: a failed step (err != 0) or, with
// --explain, a step done (err == 0). `length` bytes of text follow: the
// call the child made, with its real arguments. Header and text go out in
// one write of at most PIPE_BUF bytes, so records never interleave.
typedef struct {
    int32_t step;
    int32_t err;
    int32_t detail;   // which mount, path or limit, or -1
    int32_t length;   // bytes of text after the header
} sr_report;

enum { SR_REPORT_TEXT_MAX = 2048 };

// Why each step is there and where to read more, for --explain.
const char *sr_step_why(int32_t step);
const char *sr_step_manual(int32_t step);

// A mount beyond the standard ones: -v (bind) and --tmpfs; or, for a
// bundle, every mount of its config.json in order.
typedef struct {
    const char *source;          // bind: the host path; else the fs source
    const char *target;          // absolute, resolved inside the rootfs
    const char *fstype;          // NULL for a bind mount
    unsigned long flags;
    const char *data;
    int readonly;                // bind: remount read-only afterwards
    int target_is_file;          // create an empty file, not a dir, if missing
    uint64_t attributes;         // bind: MOUNT_ATTR_NOSUID|NODEV|NOEXEC set afterwards (recursively)
    unsigned long propagation;   // MS_PRIVATE, MS_SLAVE, ... (| MS_REC) set afterwards, or 0
    // In a user namespace the kernel may refuse the mount (EPERM, EBUSY):
    // sysfs without a network namespace of its own, cgroup2 without a
    // cgroup namespace. This host path is bound instead, with the same
    // flags, as runc does: /sys, or the container's own cgroup. Or NULL.
    const char *userns_fallback;
} sr_mount;

// mount_setattr(2)'s MOUNT_ATTR_*, which <linux/mount.h> would bring in
// against glibc's <sys/mount.h>; checked against it in child_mounts.c.
enum {
    SR_MOUNT_ATTR_RDONLY = 0x1,
    SR_MOUNT_ATTR_NOSUID = 0x2,
    SR_MOUNT_ATTR_NODEV = 0x4,
    SR_MOUNT_ATTR_NOEXEC = 0x8,
    SR_MOUNT_ATTR_NOATIME = 0x10,
    SR_MOUNT_ATTR_STRICTATIME = 0x20,
    SR_MOUNT_ATTR_NODIRATIME = 0x80,
};

// A namespace to join rather than make (a config's namespace path, or
// --network container:NAME): an fd the parent opened, and its CLONE_NEW*.
// A pid namespace is joined by the parent itself just before clone3, since
// setns(CLONE_NEWPID) applies to children only.
typedef struct {
    int fd;
    int type;
} sr_namespace_join;
enum { SR_MAX_JOINS = 8 };

// A device node to create in the container's /dev (--device, --privileged).
typedef struct {
    const char *path;            // absolute, under /dev
    uint32_t mode;               // S_IFCHR or S_IFBLK | permissions
    uint32_t major, minor;
    uint32_t uid, gid;
} sr_device;

typedef struct {
    int32_t resource;            // RLIMIT_*
    uint64_t soft, hard;
} sr_rlimit;

// A bundle's createContainer or startContainer hook: run by the child
// itself, in the container's namespaces, with the state on stdin. A
// createContainer hook runs before pivot_root (its path is the runtime's);
// a startContainer hook after start, just before the exec (its path is the
// container's).
enum { SR_HOOK_CREATE_CONTAINER = 0, SR_HOOK_START_CONTAINER = 1 };
typedef struct {
    const char *path;
    const char *const *argv;
    const char *const *envp;
    int timeout;                 // seconds; 0: none
    int stage;                   // SR_HOOK_*
} sr_hook;
// The state a hook reads is JSON whose "pid" is SR_HOOK_PID_WIDTH digits
// the child overwrites with its own pid, padded with spaces.
enum { SR_HOOK_PID_WIDTH = 10 };

// The flat, pre-computed description the child works from. Swift fills it
// (Sources/SwiftrunCore/Linux/ChildSpec.swift) before clone3; the child only
// reads it. Every string is NUL-terminated, every array NULL-terminated or
// counted.
typedef struct {
    uint64_t clone_flags;        // SR_CLONE_NEW* for each namespace in the spec
    int cgroup_fd;               // a cgroup v2 dir to start in (CLONE_INTO_CGROUP), or -1
    const int *cgroup_tasks_fds; // v1 hierarchies' tasks files, opened by the parent: the child moves itself
    int cgroup_tasks_count;
    int unshare_cgroup;          // unshare the cgroup ns once in our cgroups (after the go and the v1 tasks)
    const char *rootfs;          // host path of the (empty) merged dir, or a bundle's root dir
    const char *overlay_options; // "lowerdir=...,upperdir=...,workdir=..."; NULL: bind rootfs onto itself
    int overlay_fd;              // that overlay, made by the parent (fsmount), to attach; or -1: mount it here
    // A bundle: MOUNTS is the whole list (proc, /dev, ... included), so the
    // standard set is not made; the standard device nodes go in a tmpfs /dev.
    int mounts_complete;
    unsigned long root_propagation; // applied to / first; 0: MS_REC|MS_PRIVATE
    const char *hostname;
    const char *cwd;             // absolute, inside the container
    const char *path;            // $PATH used to find argv[0]
    const char *const *argv;
    const char *const *envp;

    const sr_mount *mounts;
    int mount_count;
    const sr_device *devices;
    int device_count;
    const char *const *masked_paths;
    const char *const *readonly_paths;
    int readonly_root;
    // linux.sysctl: paths in the container ("/proc/sys/net/..."), and
    // their values; written before the read-only paths cover /proc/sys.
    const char *const *sysctl_paths;
    const char *const *sysctl_values;

    const sr_rlimit *rlimits;
    int rlimit_count;
    uint32_t uid, gid;
    const uint32_t *groups;
    int group_count;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable;
    int no_new_privs;
    int umask;                   // the process's umask
    const void *seccomp_filter;  // struct sock_filter[], or NULL: unconfined
    uint16_t seccomp_length;     // instructions in the filter
    int init;                    // --init: pid 1 is a reaper, the command its child
    int narrate;                 // --explain: report every step done, not only a failure

    // exec: join this running container (a pidfd of its pid 1) instead of
    // making one: setns with JOIN_FLAGS, then fork into its pid namespace.
    // Mounts, devices, paths and hostname are the container's already.
    int join_pidfd;              // -1: a new container
    uint64_t join_flags;         // SR_CLONE_NEW* to join
    int survive_parent;          // exec -d, OCI create: no PDEATHSIG, the caller returns at once
    int null_fd;                 // exec -d: /dev/null, made stdio (the caller's is not held); or -1
    // -t: the child opens a pty in the container's devpts, makes the slave
    // its stdio and controlling terminal, and sends the master over this
    // unix socket (SCM_RIGHTS), as runc's --console-socket does.
    int console_fd;              // -1: no pty
    uint16_t console_rows, console_cols;  // 0: leave the pty's size alone

    sr_namespace_join joins[SR_MAX_JOINS];
    int join_count;
    // A bridge network: eth0's IPv4 address, prefix and gateway in network
    // byte order (0: no eth0). The parent made eth0 in our namespace after
    // the go byte.
    uint32_t net_address, net_gateway;
    int net_prefix;
    // The parent works while we mount (the veth of a bridge network, the
    // device filter) and sends a second byte once that is in place, which
    // we read where it is first needed: before configuring eth0, else just
    // before the execve.
    int await_parent_setup;

    // create: an O_PATH fd of the exec fifo, or -1. Set up, the child
    // reports SR_STEP_CREATED, closes the report pipe and blocks opening the
    // fifo for writing until `start` opens it for reading.
    int exec_fifo_fd;
    // create --preserve-fds N: fds 3 to 2+N pass into the container.
    int preserve_fds;

    // A bundle's hooks. With pause_for_hooks the child, its tree mounted,
    // reports SR_STEP_RUNTIME_HOOKS before pivot_root and reads one more
    // byte from the sync pipe: the parent has run prestart and
    // createRuntime. hook_states: the JSON each stage's hooks read.
    int pause_for_hooks;
    const sr_hook *hooks;
    int hook_count;
    const char *hook_states[2];
    int hook_state_pid_at[2];    // offset of the pid's digits in each

    int sync_fd;                 // child reads one byte: the parent's go
    int sync_write_fd;           // the parent's end; the child closes its copy
    int report_fd;               // child writes sr_report on failure; CLOEXEC
} sr_child_spec;

// A device cgroup rule for the cgroup v2 BPF filter (device_filter.c).
typedef struct {
    int32_t allow;
    uint32_t type;               // 0: any; 1: block; 2: char (BPF_DEVCG_DEV_*)
    int64_t major, minor;        // -1: any
    uint32_t access;             // BPF_DEVCG_ACC_*: 1 mknod, 2 read, 4 write
} sr_device_rule;

// Loads the filter for RULES; returns the program fd, or -1 with errno (the
// verifier's log in LOG). Then attaches it to the cgroup dir CGROUP_FD.
int sr_device_filter_load(const sr_device_rule *rules, int count, char *log, int log_size);
int sr_device_filter_attach(int program_fd, int cgroup_fd);

// The namespace flags of clone(2), which Swift's Glibc does not import.
enum {
    SR_CLONE_NEWNS = 0x00020000,
    SR_CLONE_NEWCGROUP = 0x02000000,
    SR_CLONE_NEWUTS = 0x04000000,
    SR_CLONE_NEWIPC = 0x08000000,
    SR_CLONE_NEWUSER = 0x10000000,
    SR_CLONE_NEWPID = 0x20000000,
    SR_CLONE_NEWNET = 0x40000000,
};

// clone3 of the container's pid 1, which runs the spec's steps on a stack
// of its own and reports SR_STEP_CLONED first. The kernel stores the pid in
// *PID before the child runs (CLONE_PARENT_SETTID). With SHARE_MEMORY (only
// where sr_spawn_can_share_memory(SPEC)), the child shares this process's memory
// until its execve (CLONE_VM | CLONE_VFORK, as posix_spawn does): no page
// tables are copied and no page of ours is copy-on-write afterwards, but
// the calling thread is suspended until the child execs or exits, so
// another thread must answer the child's handshake meanwhile. Returns the
// pid, or -errno.
pid_t sr_spawn_container(const sr_child_spec *spec, int share_memory, pid_t *pid);
int sr_spawn_can_share_memory(const sr_child_spec *spec);

// The -t side of the parent: relay bytes between the caller's terminal
// (IN, OUT) and the pty MASTER until PID exits, resizing the pty on
// SIGWINCH and passing the forwarded signals on (terminal.c). SIGNALS must
// already be blocked. Returns PID's wait status, or -1 with errno.
int sr_tty_relay(int master, int in, int out, pid_t pid, const sigset_t *signals);
// TIOCGWINSZ of FD (a terminal); 0 or -1.
int sr_window_size(int fd, unsigned short *rows, unsigned short *columns);
// `attach`: relays a monitor's attach SOCKET to OUT and ERR, and IN (-1:
// none) to it, watching for the detach KEYS. SIGNALS (SIGWINCH) must be
// blocked. 0 when the container ended, 1 when the keys were typed, -1 with
// errno.
int sr_attach_relay(int socket, int in, int out, int err, const char *keys, int keys_length, const sigset_t *signals);
// Receives one fd sent with SCM_RIGHTS over SOCKET; -1 with errno.
int sr_receive_fd(int socket);

// A container's network namespace made ahead, by a thread that ends
// afterwards (netlink.c): an fd of it with lo up, or -1 with errno.
// sr_loopback_up: lo up in the caller's own namespace; 0 or -1 with errno.
int sr_network_namespace_new(void);
int sr_loopback_up(void);

// rtnetlink requests (netlink.c): 0, or -1 with errno. Addresses are in
// network byte order; indexes are if_nametoindex's.
int sr_netlink_open(void);
int sr_link_index(const char *name);
// A bridge with a MAC of its own: without one, it takes its lowest port's,
// which changes as containers come and go.
int sr_netlink_add_bridge(int socket, const char *name, uint32_t mtu, const unsigned char mac[6]);
int sr_netlink_set_address(int socket, int index, const unsigned char mac[6]);
// A veth pair of MTU: NAME here, enslaved to MASTER and up; PEER born in
// the network namespace PEER_NETNS (an fd), with PEER_MAC, down until
// that side brings it up.
int sr_netlink_add_veth_in(int socket, const char *name, int master, uint32_t mtu, const char *peer, int peer_netns,
                           const unsigned char peer_mac[6]);
// In this thread's network namespace: NAME gets ADDRESS/PREFIX and is
// brought up, with a default route via GATEWAY unless it is 0. 0, or the
// request that failed (errno says why): the child reports it as the
// network step's detail.
enum { SR_CONFIGURE_ADDRESS = 1, SR_CONFIGURE_UP = 2, SR_CONFIGURE_ROUTE = 3, SR_CONFIGURE_FIND = 4 };
int sr_netlink_configure(const char *name, uint32_t address, int prefix, uint32_t gateway);
// An fd of the network namespace of the process PIDFD names.
int sr_netns_open(int pidfd);
// sr_netlink_configure inside the network namespace NETNS (an fd): 0, or
// -1 with errno.
int sr_netlink_configure_in(int netns, const char *name, uint32_t address, int prefix, uint32_t gateway);
int sr_netlink_delete_link(int socket, int index);
int sr_netlink_link_up(int socket, int index);
int sr_netlink_add_address(int socket, int index, uint32_t address, int prefix);
int sr_netlink_add_default_route(int socket, uint32_t gateway);
// Adds (create: fails with EEXIST if the key is there) or deletes one
// element of an nf_tables set or map of family ip. KEY and DATA are in the
// kernel's layout: each field of a concatenation padded to 4 bytes.
// DATA is NULL for a deletion or a set. SOCKET is sr_nft_open's.
int sr_nft_open(void);
// Closes FD in a forked child once this process has let go of it: for the
// nfnetlink socket, whose last close waits a grace period (netlink.c).
void sr_close_in_child(int fd);
int sr_nft_set_element(int socket, int add, const char *table, const char *set, const uint8_t *key, size_t key_length,
                       const uint8_t *data, size_t data_length);
// 1 if KEY is in the set (0 if not, or if the table or set is missing), -1 with errno.
int sr_nft_has_element(int socket, const char *table, const char *set, const uint8_t *key, size_t key_length);

// Runs nft COMMANDS through libnftables (nftables.c, loaded on first use):
// 0, or -1 with nft's message (or why the library did not load) in ERROR.
// What nft printed (a `list`) goes to OUTPUT.
int sr_nft_run(const char *commands, char *output, size_t output_size, char *error, size_t error_size);

// Gzip decompression (inflate.c): ISA-L's igzip where libisal loads, else
// zlib. sr_inflater_new is NULL only when memory or zlib's setup fails.
// sr_inflater_run consumes from *INPUT (advancing it), writes up to
// OUTPUT_LENGTH bytes and says how many; MEMBER_END once a gzip member
// and its checked trailer are done (reset for the next member).
typedef struct sr_inflater sr_inflater;
enum { SR_INFLATE_OK = 0, SR_INFLATE_MEMBER_END = 1, SR_INFLATE_CORRUPT = -1 };
sr_inflater *sr_inflater_new(void);
void sr_inflater_reset(sr_inflater *inflater);
void sr_inflater_free(sr_inflater *inflater);
int sr_inflater_run(sr_inflater *inflater, const uint8_t **input, size_t *input_length, uint8_t *output,
                    size_t output_length, size_t *produced);

// SHA-256 (sha256.c), streamed: init, update as bytes pass, final once.
// The CPU's SHA extensions where it has them (sr_sha256_uses_sha_ni);
// init_portable takes the portable code whatever the CPU, for the tests
// that hold the two to the same digests.
typedef void (*sr_sha256_blocks)(uint32_t state[8], const uint8_t *data, size_t count);
struct sr_sha256 {
    uint32_t state[8];
    uint64_t length;
    uint8_t pending[64];
    size_t used;
    sr_sha256_blocks blocks;
};
void sr_sha256_init(struct sr_sha256 *ctx);
void sr_sha256_init_portable(struct sr_sha256 *ctx);
void sr_sha256_update(struct sr_sha256 *ctx, const void *bytes, size_t count);
void sr_sha256_final(struct sr_sha256 *ctx, uint8_t digest[32]);
int sr_sha256_uses_sha_ni(void);

// --systemd-cgroup (systemd.c, libsystemd loaded on first use): a transient
// scope UNIT in SLICE ("" for systemd's default) holding PID, started and
// waited for; and a unit stopped (a unit already gone is no error). 0, or
// a negative errno with the reason in ERROR.
int sr_systemd_start_scope(const char *unit, const char *slice, const char *description, pid_t pid, char *error,
                           size_t error_size);
int sr_systemd_stop_unit(const char *unit, char *error, size_t error_size);

// The name of a step, for error messages ("pivot_root", "mount /proc").
const char *sr_step_name(int32_t step);

// Function-like macros from <sys/wait.h> that Swift cannot import.
static inline int sr_wifexited(int status) { return WIFEXITED(status); }
static inline int sr_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int sr_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int sr_wtermsig(int status) { return WTERMSIG(status); }

// 1 for the first caller on FLAG, 0 for every later one, from any thread
// (ChildHandshake: whichever of two threads closes the pipe ends first).
static inline int sr_claim_once(int *flag) { return __atomic_exchange_n(flag, 1, __ATOMIC_ACQ_REL) == 0; }

// openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: PATH resolves as
// if ROOTFD were "/", so no symlink or ".." leads out of it. O_CLOEXEC is
// added. Used by the child and by the parent alike.
int sr_open_in_root(int rootfd, const char *path, int flags);
// The same, refusing every symlink on the way (RESOLVE_NO_SYMLINKS): for
// reading a build context, where a link is copied, never followed.
int sr_open_in_root_nofollow(int rootfd, const char *path, int flags);

// Declarations Swift's Glibc module hides behind _GNU_SOURCE or leaves out
// (wrappers.c). O_PATH's value is checked against <fcntl.h> there.
enum { SR_O_PATH = 010000000, SR_O_TMPFILE = 020200000, SR_AT_EMPTY_PATH = 0x1000 };
int sr_pipe_cloexec(int fds[2]);
// F_SETPIPE_SZ: a larger pipe buffer; returns the size granted or -1.
int sr_set_pipe_size(int fd, int size);
int sr_fsetxattr(int fd, const char *name, const void *value, size_t size);
// setxattr on the directory DIRFD itself (through /proc/self/fd, as O_PATH fds allow).
int sr_fsetxattr_at(int dirfd, const char *name, const void *value, size_t size);
ssize_t sr_fgetxattr_at(int dirfd, const char *file, const char *name, void *value, size_t size);
// The xattr names of FILE under DIRFD, not following a final symlink.
ssize_t sr_llistxattr_at(int dirfd, const char *file, char *list, size_t size);
int sr_syncfs(int fd);
// chattr +T (FS_TOPDIR_FL) on the directory FD: ext2/3/4's allocator then
// spreads its subdirectories over block groups, as for unrelated trees.
// Elsewhere the ioctl fails (ENOTTY, EOPNOTSUPP) and changes nothing.
int sr_mark_top_directory(int fd);
// A detached overlay mount (fsopen/fsmount): the fd of its root, or -1.
// LOWER lists the top layer first, as overlayfs(5) wants. VOLATILE_UPPER:
// the upper dir is never synced (overlayfs(5), "Volatile mount").
int sr_overlay_detached(const char *lower, const char *upper, const char *work, int volatile_upper);
int sr_memfd_create(const char *name);
// 1 if PATH is the root of a cgroup2 mount (statfs, CGROUP2_SUPER_MAGIC).
int sr_is_cgroup2(const char *path);
// A new pseudo-terminal pair (posix_openpt, grantpt, unlockpt); 0 or -1.
int sr_open_pty(int *master, int *slave);

// A detached container's monitor, after the container is running
// (monitor.c): copies its stdout and stderr pipes into Docker's json-file
// log at LOG_PATH (NULL: --log-driver none, the pipes are drained and
// dropped), rotating at MAX_SIZE bytes into MAX_FILES files, until pid 1
// exits; then reaps it into *WAIT_STATUS. 0, or -1 with errno.
typedef struct {
    pid_t pid;
    int pidfd;
    int stdout_fd;
    int stderr_fd;
    const char *log_path;
    long long max_size;  // 0: no rotation
    int max_files;
    // Every HEALTH_INTERVAL_MS (0: never) it runs HEALTH_ARGV, one at a
    // time, as its own child: `swiftrun __health-check ID`.
    long long health_interval_ms;
    const char *const *health_argv;
    // `attach`: ATTACH_FD listens at ATTACH_DIR/attach.sock (-1: no
    // socket), bound by sr_attach_listen before `run -d` returns, so an
    // `attach` right after it finds the socket; the monitor removes it at
    // the end. With TTY, stdout_fd is the pty master and clients get raw
    // bytes; STDIN_FD takes what they type (-i: a pipe to the container's
    // stdin, or the master); or -1.
    const char *attach_dir;
    int attach_fd;
    int tty;
    int stdin_fd;
    int attached_fd;     // `start -a`: a client connected from the start, or -1
    int stdin_once;      // StdinOnce (docker run -i): that client's end of input ends the container's stdin
} sr_monitor_spec;
int sr_monitor_supervise(const sr_monitor_spec *spec, int *wait_status);
// The attach socket, DIR/attach.sock, replacing any left by an earlier run:
// a listening, non-blocking, CLOEXEC fd, or -1 with errno.
int sr_attach_listen(const char *dir);

// fork(2), which Swift marks unavailable: swiftrun forks only while it has
// one thread (run -d handing a container to its monitor).
pid_t sr_fork(void);
// Removes the tree at PATH (a trash entry) in a process of its own, once
// this one has exited (remover.c): it holds LOCK_FD (the entry's flock)
// until the tree is gone, and closes RELEASE_FD (-1: none; the container's
// mount namespace) first. It shares our memory until we exit, keeps none of
// our other fds, and leaves our session. The pid, or -errno.
pid_t sr_spawn_remover(const char *path, int lock_fd, int release_fd);
// close_range(FD, ~0U, 0): closes every fd from FD up.
int sr_close_from(int fd);
// close_range(FD, ~0U, CLOSE_RANGE_CLOEXEC): every fd from FD up closes on
// exec, whoever opened it (libnftables' netlink socket is not CLOEXEC).
int sr_cloexec_from(int fd);
// posix_spawn_file_actions_addclosefrom_np, hidden from Swift behind _GNU_SOURCE.
#include <spawn.h>
int sr_spawn_close_from(posix_spawn_file_actions_t *actions, int fd);

// pidfd_open(2): wait for a process that is not our child (poll for POLLIN).
#include <sys/syscall.h>
#include <unistd.h>
static inline int sr_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
static inline int sr_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}
// gettid(2), which glibc declares only under _GNU_SOURCE.
static inline pid_t sr_gettid(void) { return (pid_t)syscall(SYS_gettid); }

// makedev(3) is a macro in glibc.
#include <sys/sysmacros.h>
static inline dev_t sr_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
static inline unsigned int sr_major(dev_t dev) { return major(dev); }
static inline unsigned int sr_minor(dev_t dev) { return minor(dev); }

#endif
