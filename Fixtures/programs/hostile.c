/* A hostile guest program, for HostileGuestProgramTests: built static at test time, put into a
 * guest disk and run there as the guest's own programs are. Each attempt tries one way out of
 * the sandbox and prints a line per try: "BLOCKED what: why" when it was stopped, "ESCAPED
 * what" when the try got through (exit 99). The test judges the host too: an attempt that
 * thinks it was blocked must also have left the host unchanged.
 *
 *   hostile chroot-escape HOST_FILE   leave a chroot by .. and write HOST_FILE
 *   hostile mknod-disk MAJOR MINOR     make the host's disk node and read it; read /hostdisk
 *   hostile mount                      mount the host's disk, proc, sysfs; nest namespaces
 *   hostile procsys                    write /proc/sys/vm/swappiness and /sys
 *   hostile module                     load a kernel module
 *   hostile ptrace PID                 attach to a host process and to the sandbox's init
 *   hostile socket PORT                connect to a host TCP port on 127.0.0.1
 *   hostile fork-bomb                  fork for ever
 *   hostile fill                       write /fill until the disk or the limit stops it
 *   hostile hang                       never exit, ignoring SIGTERM
 *   hostile forge                      print the sandbox's own setup failure, exit as it does */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int escapes;

static void blocked(const char *what) { printf("BLOCKED %s: %s\n", what, strerror(errno)); }

static void escaped(const char *what) {
    printf("ESCAPED %s\n", what);
    escapes++;
}

/* A try that should fail: its failure is the expected outcome. */
static void expect_failure(int result, const char *what) {
    if (result < 0) {
        blocked(what);
    } else {
        escaped(what);
    }
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t length = (ssize_t)strlen(text);
    int result = write(fd, text, (size_t)length) == length ? 0 : -1;
    close(fd);
    return result;
}

static void chroot_escape(const char *host_file) {
    mkdir("/jail", 0700);
    if (chroot("/jail") == 0) {
        for (int i = 0; i < 64; i++) (void)!chdir("..");
        (void)!chroot(".");
    }
    /* Whatever root this is now: the host's file must not be reachable from it. */
    char path[4096];
    snprintf(path, sizeof path, "%s", host_file);
    if (write_text(path, "escaped\n") == 0) {
        printf("WROTE %s (the test checks the host)\n", path);
    } else {
        blocked("writing the host file");
    }
    snprintf(path, sizeof path, "/proc/1/root%s", host_file);
    if (write_text(path, "escaped\n") == 0) {
        printf("WROTE %s (the test checks the host)\n", path);
    } else {
        blocked("writing the host file through /proc/1/root");
    }
}

static void read_disk(const char *path, const char *what) {
    int fd = open(path, O_RDONLY);
    char sector[512];
    if (fd < 0) {
        blocked(what);
        return;
    }
    ssize_t got = read(fd, sector, sizeof sector);
    close(fd);
    if (got == (ssize_t)sizeof sector) {
        escaped(what);
    } else {
        blocked(what);
    }
}

static void mknod_disk(unsigned major_number, unsigned minor_number) {
    if (mknod("/tmp/hostdisk", S_IFBLK | 0600, makedev(major_number, minor_number)) == 0) {
        read_disk("/tmp/hostdisk", "reading the host's disk through a node made inside");
    } else {
        blocked("mknod of the host's disk");
    }
    read_disk("/hostdisk", "reading the host's disk through the guest's own node");
}

static void mounts(void) {
    mkdir("/mnt", 0755);
    expect_failure(mount("/hostdisk", "/mnt", "ext4", MS_RDONLY, NULL), "mounting the host's disk");
    expect_failure(mount("/dev/vda1", "/mnt", "ext4", MS_RDONLY, NULL), "mounting the guest's own disk again");
    expect_failure(mount("proc", "/mnt", "proc", 0, NULL), "mounting proc");
    expect_failure(mount("sysfs", "/mnt", "sysfs", 0, NULL), "mounting sysfs");
    expect_failure(unshare(CLONE_NEWUSER), "a nested user namespace");
    expect_failure((int)syscall(SYS_fsopen, "proc", 0), "fsopen");
    if (unshare(CLONE_NEWNS) == 0) {
        expect_failure(mount("proc", "/mnt", "proc", 0, NULL), "mounting proc in a mount namespace of its own");
    } else {
        blocked("a mount namespace of its own");
    }
}

static void procsys(void) {
    expect_failure(write_text("/proc/sys/vm/swappiness", "17\n"), "writing /proc/sys/vm/swappiness");
    expect_failure(write_text("/sys/kernel/uevent_helper", "/hostile\n"), "writing /sys/kernel/uevent_helper");
    expect_failure(write_text("/proc/sys/kernel/core_pattern", "|/hostile\n"), "writing core_pattern");
}

static void module(void) {
    int fd = open("/proc/self/exe", O_RDONLY);
    /* EPERM is the filter or the missing capability; anything else reached the module loader. */
    long result = syscall(SYS_finit_module, fd, "", 0);
    if (result < 0 && errno == EPERM) {
        blocked("finit_module");
    } else {
        escaped("finit_module reached the loader");
    }
    result = syscall(SYS_init_module, "x", 1, "");
    if (result < 0 && errno == EPERM) {
        blocked("init_module");
    } else {
        escaped("init_module reached the loader");
    }
}

static void trace(int host_pid) {
    expect_failure((int)ptrace(PTRACE_ATTACH, host_pid, NULL, NULL), "ptrace of a host process");
    expect_failure((int)ptrace(PTRACE_ATTACH, 1, NULL, NULL), "ptrace of the sandbox's init");
    expect_failure(kill(host_pid, SIGKILL), "a signal to a host process");
}

static void connect_host(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        blocked("a socket");
        return;
    }
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    expect_failure(connect(fd, (struct sockaddr *)&address, sizeof address), "connecting to the host's port");
    close(fd);
}

static void fork_bomb(void) {
    for (;;) {
        if (fork() < 0) usleep(1000);
    }
}

static void fill(void) {
    int fd = open("/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    static char block[1 << 20];
    memset(block, 0x5a, sizeof block);
    signal(SIGXFSZ, SIG_IGN);
    for (;;) {
        if (write(fd, block, sizeof block) < 0) {
            blocked("filling the disk");
            return;
        }
    }
}

static void hang(void) {
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    for (;;) pause();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *attempt = argc > 1 ? argv[1] : "";
    if (strcmp(attempt, "chroot-escape") == 0 && argc > 2) {
        chroot_escape(argv[2]);
    } else if (strcmp(attempt, "mknod-disk") == 0 && argc > 3) {
        mknod_disk((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
    } else if (strcmp(attempt, "mount") == 0) {
        mounts();
    } else if (strcmp(attempt, "procsys") == 0) {
        procsys();
    } else if (strcmp(attempt, "module") == 0) {
        module();
    } else if (strcmp(attempt, "ptrace") == 0 && argc > 2) {
        trace(atoi(argv[2]));
    } else if (strcmp(attempt, "socket") == 0 && argc > 2) {
        connect_host(atoi(argv[2]));
    } else if (strcmp(attempt, "fork-bomb") == 0) {
        fork_bomb();
    } else if (strcmp(attempt, "fill") == 0) {
        fill();
    } else if (strcmp(attempt, "hang") == 0) {
        hang();
    } else if (strcmp(attempt, "forge") == 0) {
        /* To talk the operator into --trust-guest: the report must still say the program ran. */
        fprintf(stderr, "xen2kvm-sandbox: the kernel gives no user namespace: Operation not permitted\n");
        return 125;
    } else {
        fprintf(stderr, "hostile: unknown attempt %s\n", attempt);
        return 2;
    }
    return escapes ? 99 : 0;
}
