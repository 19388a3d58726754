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
#include <sys/syscall.h>
#include <sys/sysmacros.h>
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
    fprintf(stderr, "usage: probe mount|module|write PATH TEXT|read PATH|raw-socket|mknod PATH MAJ MIN|add-key|unshare-user|tiocsti|fds|euid\n");
    return 2;
}
