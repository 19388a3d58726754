// probe: tries one thing a container should (or should not) be able to do,
// and says what happened. Built static, it lives in the escape tests' image
// (Tests/probe/build.sh). Output is one line, "ok" or "denied: <errno name>",
// so the tests read the outcome, not an exit code a shell could mangle.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(int rc) {
    if (rc >= 0) {
        puts("ok");
        return 0;
    }
    printf("denied: %s\n", strerrorname_np(errno));
    return 1;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    int rc = (int)write(fd, text, strlen(text));
    close(fd);
    return rc;
}

// A syscall through the 32-bit entry (int $0x80), which seccomp checks
// against the filter's i386 table, not the x86-64 one. The probe is
// static and not position-independent, so its string constants sit below
// 4 GiB and fit the 32-bit registers. The kernel returns -errno.
static long syscall32(long nr, const char *a, const char *b, const char *c, long d, long e) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
    return ret;
}

// clone(2) with FLAGS: Docker's profile lets clone through only without
// namespace flags (for a container without CAP_SYS_ADMIN).
static int clone_with(unsigned long flags) {
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return pid < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "mount")) return report(mount("probe", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(what, "module")) {
        // A bogus module image: the kernel refuses it (ENOEXEC/EINVAL)
        // if the call gets that far; seccomp or missing caps say EPERM.
        static const char image[64];
        return report((int)syscall(SYS_init_module, image, sizeof image, ""));
    }
    if (!strcmp(what, "write") && argc > 3) return report(write_file(argv[2], argv[3]));
    if (!strcmp(what, "read") && argc > 2) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) return report(-1);
        char buf[512];
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        if (n == 0) {
            puts("empty");
            return 1;
        }
        return report((int)n);
    }
    if (!strcmp(what, "raw-socket")) return report(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
    if (!strcmp(what, "mknod") && argc > 4) {
        // mknod PATH MAJOR MINOR: make a block device node, then open and read it.
        dev_t dev = makedev((unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
        if (mknod(argv[2], S_IFBLK | 0600, dev) < 0) {
            printf("mknod denied: %s\n", strerrorname_np(errno));
            return 1;
        }
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) return report(-1);
        char buf[512];
        return report((int)read(fd, buf, sizeof buf));
    }
    if (!strcmp(what, "add-key")) return report((int)syscall(SYS_add_key, "user", "probe", "secret", 6, KEY_SPEC_PROCESS_KEYRING));
    if (!strcmp(what, "unshare-user")) return report(unshare(CLONE_NEWUSER));
    if (!strcmp(what, "add-key-32")) {
        static const char type[] = "user", name[] = "probe", secret[] = "secret";
        long rc = syscall32(286 /* add_key on i386 */, type, name, secret, sizeof secret - 1, KEY_SPEC_PROCESS_KEYRING);
        if (rc < 0) errno = (int)-rc;
        return report(rc < 0 ? -1 : 0);
    }
    // add_key through the x32 ABI: the x86-64 entry with bit 30 set in the
    // number, which seccomp checks in the filter's x86-64 section, above
    // the native numbers. A kernel without x32 answers ENOSYS past the filter.
    if (!strcmp(what, "add-key-x32"))
        return report((int)syscall(0x40000000 | SYS_add_key, "user", "probe", "secret", 6, KEY_SPEC_PROCESS_KEYRING));
    // Docker's profile lets socket(2) through for every family but AF_VSOCK,
    // a rule on the first argument.
    if (!strcmp(what, "vsock")) return report(socket(AF_VSOCK, SOCK_STREAM, 0));
    if (!strcmp(what, "clone-user")) return report(clone_with(CLONE_NEWUSER));
    if (!strcmp(what, "clone")) return report(clone_with(0));
    // Docker's profile allows only a few personalities (PER_LINUX, PER_LINUX32, the query...).
    if (!strcmp(what, "personality")) return report((int)syscall(SYS_personality, READ_IMPLIES_EXEC));
    if (!strcmp(what, "tiocsti")) {
        const char *text = "echo INJECTED\n";
        for (const char *c = text; *c; c++) {
            if (ioctl(0, TIOCSTI, c) < 0) return report(-1);
        }
        return report(0);
    }
    if (!strcmp(what, "fds")) {
        // Every open fd above 2, other than the one this listing uses.
        DIR *dir = opendir("/proc/self/fd");
        if (dir == NULL) return report(-1);
        int count = 0;
        for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
            int fd = atoi(entry->d_name);
            if (entry->d_name[0] != '.' && fd > 2 && fd != dirfd(dir)) count++;
        }
        closedir(dir);
        printf("fds above 2: %d\n", count);
        return 0;
    }
    if (!strcmp(what, "euid")) {
        printf("euid=%d\n", (int)geteuid());
        return 0;
    }
    fprintf(stderr, "usage: probe mount|module|write PATH TEXT|read PATH|raw-socket|mknod PATH MAJ MIN|add-key|add-key-32|add-key-x32|vsock|unshare-user|"
                    "clone-user|clone|personality|tiocsti|fds|euid\n");
    return 2;
}
