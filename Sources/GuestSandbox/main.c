/* xen2kvm-sandbox: runs one guest program contained, for GuestSession (Swift).
 *
 *   xen2kvm-sandbox --session DIR --source dev/vda1 --fstype ext4 --ids BASE:COUNT --report FILE
 *                   [--processes N] [--memory BYTES] [--file-size BYTES] -- PROGRAM ARG...
 *
 * DIR is the session directory: DIR/dev is the private /dev the host built (its disk nodes
 * owned by BASE, the guest's root), DIR/root where the guest filesystem is mounted on the host.
 * The program sees only:
 *   - the guest filesystem, mounted again from DIR/SOURCE (so /proc/self/mountinfo names
 *     /dev/vda1, as grub-probe needs), idmapped (guest uid/gid 0..COUNT-1 are host BASE..),
 *     nosuid and nodev, entered with pivot_root and the old root detached: no host path is
 *     left in its mount namespace;
 *   - DIR/dev on /dev, a /proc of its own pid namespace, a read-only /sys of its own network
 *     namespace (only lo, down);
 *   - a user namespace in which it is root, with no capability over anything outside (its
 *     mount, pid, network, ipc and uts namespaces are owned by the host's: it cannot mount,
 *     make device nodes, load modules or write /proc/sys);
 *   - the seccomp filter of CLinuxIO/Seccomp.c, and limits on processes, memory and file size.
 *
 * Exit status: the program's (128 + signal when a signal ended it); 127 when it cannot be
 * started in the guest; 125 when the sandbox cannot be built. FILE (a host path the guest
 * cannot reach) then says which: "started" once the program was started, or "failed: WHAT"
 * (which piece of the kernel is missing, say). The program's output cannot forge it: that
 * stream is the guest's, FILE is the host's.
 *
 * Structure: this process (host root) makes a throwaway user namespace whose only purpose is
 * its id map (the idmapped mount and the guest's credentials take it from there), prepares the
 * guest's root and /dev as detached mounts, then makes new mount/pid/net/ipc/uts/cgroup
 * namespaces, attaches the tree at once, pivots into it and detaches the copy of the host's
 * mounts, then forks the namespace's init. The init mounts /proc and /sys while still host
 * root, joins the user namespace, drops to guest
 * root, installs the filter and the limits, forks the program and reaps until it ends. When
 * the init exits, the kernel kills whatever the program left in the pid namespace; when this
 * process dies (xen2kvm killed, a timeout), the init's death signal takes the namespace down. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "Seccomp.h"

#define SETUP_FAILED 125
#define CANNOT_RUN 127

struct options {
    const char *session;
    const char *source;
    const char *fstype;
    const char *report;
    unsigned long id_base;
    unsigned long id_count;
    unsigned long processes;
    unsigned long long memory;
    unsigned long long file_size;
    char **program;
};

/* Where a setup failure is reported: the report file in the launcher, a pipe to the launcher
 * in the namespace's init. */
static int report_fd = -1;

static void fail(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Says what could not be done, with errno's text, and exits with SETUP_FAILED. */
static void fail(const char *format, ...) {
    int saved = errno;
    char text[512], line[640];
    va_list list;
    va_start(list, format);
    vsnprintf(text, sizeof text, format, list);
    va_end(list);
    int length = snprintf(line, sizeof line, "failed: %s%s%s\n", text, saved ? ": " : "", saved ? strerror(saved) : "");
    fprintf(stderr, "xen2kvm-sandbox: %s", line + 8);
    if (report_fd >= 0 && length > 0) (void)!write(report_fd, line, (size_t)length);
    _exit(SETUP_FAILED);
}

static unsigned long long number(const char *text, const char *option) {
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || !end || *end || end == text) {
        errno = 0;
        fail("%s wants a number, not \"%s\"", option, text);
    }
    return value;
}

static struct options parse(int argc, char **argv) {
    struct options options = {.processes = 1024, .memory = 4ull << 30, .file_size = 8ull << 30};
    int i = 1;
    for (; i < argc; i++) {
        const char *option = argv[i];
        if (strcmp(option, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) fail("%s wants a value", option);
        const char *value = argv[++i];
        if (strcmp(option, "--session") == 0) {
            options.session = value;
        } else if (strcmp(option, "--source") == 0) {
            options.source = value;
        } else if (strcmp(option, "--fstype") == 0) {
            options.fstype = value;
        } else if (strcmp(option, "--report") == 0) {
            options.report = value;
        } else if (strcmp(option, "--ids") == 0) {
            char *colon = strchr(value, ':');
            if (!colon) fail("--ids wants BASE:COUNT");
            *colon = 0;
            options.id_base = (unsigned long)number(value, "--ids");
            options.id_count = (unsigned long)number(colon + 1, "--ids");
        } else if (strcmp(option, "--processes") == 0) {
            options.processes = (unsigned long)number(value, option);
        } else if (strcmp(option, "--memory") == 0) {
            options.memory = number(value, option);
        } else if (strcmp(option, "--file-size") == 0) {
            options.file_size = number(value, option);
        } else {
            errno = 0;
            fail("unknown option %s", option);
        }
    }
    errno = 0;
    if (!options.session || !options.source || !options.fstype || !options.id_count || !options.report)
        fail("--session, --source, --fstype, --ids and --report are needed");
    if (i >= argc) fail("no program to run");
    /* The source is a name under the session directory, never a path elsewhere. */
    if (options.source[0] == '/' || strstr(options.source, "..")) fail("--source is a name in the session directory");
    options.program = argv + i;
    return options;
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open %s", path);
    ssize_t length = (ssize_t)strlen(text);
    if (write(fd, text, (size_t)length) != length) fail("cannot write %s", path);
    close(fd);
}

/* A user namespace holding only the id map: a child unshares it and waits while this process
 * writes its map and opens it. The namespace lives on through the descriptor. */
static int make_user_namespace(const struct options *options) {
    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0) fail("pipe");
    pid_t child = fork();
    if (child < 0) fail("fork");
    if (child == 0) {
        close(ready[0]);
        close(hold[1]);
        int result = unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
        if (write(ready[1], &result, sizeof result) != sizeof result) _exit(1);
        char byte;
        while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {}
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    int result = 0;
    if (read(ready[0], &result, sizeof result) != sizeof result) fail("the user namespace helper died");
    if (result != 0) {
        errno = result;
        fail("the kernel gives no user namespace (unshare CLONE_NEWUSER; is user.max_user_namespaces 0?)");
    }
    char path[64], map[96];
    snprintf(map, sizeof map, "0 %lu %lu\n", options->id_base, options->id_count);
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
    write_file(path, map);
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
    write_file(path, map);
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
    int namespace = open(path, O_RDONLY | O_CLOEXEC);
    if (namespace < 0) fail("cannot open %s", path);
    close(hold[1]);
    waitpid(child, NULL, 0);
    close(ready[0]);
    return namespace;
}

/* A directory of the guest a mount goes on: made when missing, refused when it is anything
 * but a directory (a guest's /proc that is a symlink must not steer a mount elsewhere). */
static void ensure_directory(const char *path) {
    struct stat info;
    if (lstat(path, &info) != 0) {
        if (errno != ENOENT || mkdir(path, 0755) != 0) fail("cannot make %s", path);
        if (lstat(path, &info) != 0) fail("cannot read %s", path);
    }
    errno = 0;
    if (!S_ISDIR(info.st_mode)) fail("the guest's /%s is not a directory", strchr(path, '/') + 1);
}

/* The guest filesystem, mounted again from the session's dev/vda1, idmapped: a detached mount,
 * attached nowhere yet. */
static int mount_guest_root(const struct options *options, int user_namespace) {
    int context = fsopen(options->fstype, FSOPEN_CLOEXEC);
    if (context < 0) fail("cannot open a %s mount (fsopen)", options->fstype);
    if (fsconfig(context, FSCONFIG_SET_STRING, "source", options->source, 0) != 0 ||
        fsconfig(context, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0)
        fail("cannot mount %s (%s)", options->source, options->fstype);
    int mount = fsmount(context, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (mount < 0) fail("cannot mount %s (fsmount)", options->source);
    struct mount_attr idmap = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)user_namespace};
    if (mount_setattr(mount, "", AT_EMPTY_PATH, &idmap, sizeof idmap) != 0)
        fail("the kernel cannot idmap a %s mount (mount_setattr MOUNT_ATTR_IDMAP)", options->fstype);
    close(context);
    return mount;
}

/* What the guest's tree is made of, prepared in the host's mount namespace as detached mounts
 * before the new one is made: the new namespace starts as a copy of every host mount (other
 * sessions' guest filesystems among them, which it keeps busy), so the little that happens
 * between that copy and detaching it must be quick. */
struct tree {
    int root;
    int dev;
};

static struct tree prepare_tree(const struct options *options, int user_namespace) {
    if (chdir(options->session) != 0) fail("cannot enter %s", options->session);
    /* Made on the host's mount of the guest (the idmapped one maps no host id to write as). */
    ensure_directory("root/dev");
    ensure_directory("root/proc");
    ensure_directory("root/sys");
    struct tree tree = {.root = mount_guest_root(options, user_namespace)};
    tree.dev = (int)syscall(SYS_open_tree, AT_FDCWD, "dev", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree.dev < 0) fail("cannot clone the private /dev (open_tree)");
    return tree;
}

/* Right after the new mount namespace is made, in the same process, nothing between: attach
 * the tree, pivot into it, detach the copy of the host's. */
static void enter_tree(struct tree tree) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("cannot make the mounts private");
    if (move_mount(tree.root, "", AT_FDCWD, "root", MOVE_MOUNT_F_EMPTY_PATH) != 0) fail("cannot attach the guest root");
    if (move_mount(tree.dev, "", AT_FDCWD, "root/dev", MOVE_MOUNT_F_EMPTY_PATH) != 0)
        fail("cannot attach the private /dev");
    if (chdir("root") != 0) fail("cannot enter the guest root");
    /* The old root is stacked on the new one, then detached: the documented pivot_root(".", ".")
     * that needs no directory of the guest to park it in. */
    if (syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root");
    if (umount2(".", MNT_DETACH) != 0) fail("cannot detach the host's root");
    if (chdir("/") != 0) fail("chdir /");
    close(tree.root);
    close(tree.dev);
}

/* In the init (the new pid namespace's first process), still host root: /proc of that pid
 * namespace and /sys of the new network namespace. The directories were checked by
 * prepare_tree: not symlinks that could steer these elsewhere. */
static void mount_kernel_filesystems(void) {
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) fail("cannot mount /proc");
    if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        fail("cannot mount /sys");
    if (sethostname("guest", 5) != 0) fail("sethostname");
}

/* From host root to the guest's root: its user namespace, uid and gid 0 there, no groups. */
static void become_guest_root(int user_namespace) {
    if (setns(user_namespace, CLONE_NEWUSER) != 0) fail("cannot join the user namespace (setns)");
    close(user_namespace);
    if (setgroups(0, NULL) != 0 || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
        fail("cannot become root of the user namespace");
}

static void limit(int resource, unsigned long long value, const char *name) {
    struct rlimit bound = {.rlim_cur = value, .rlim_max = value};
    if (setrlimit(resource, &bound) != 0) fail("cannot limit %s", name);
}

static void apply_limits(const struct options *options) {
    limit(RLIMIT_NPROC, options->processes, "processes");
    limit(RLIMIT_AS, options->memory, "memory");
    limit(RLIMIT_FSIZE, options->file_size, "file size");
    limit(RLIMIT_CORE, 0, "core dumps");
    limit(RLIMIT_NOFILE, 4096, "open files");
}

static int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return SETUP_FAILED;
}

/* The namespace's init: builds, enters, starts the program, reaps until it ends. `parent` is
 * the read end of a pipe the launcher holds open (end of file: it is gone); `report` the write
 * end of the pipe that tells it whether the program was started. */
static int run_init(const struct options *options, int user_namespace, int parent, int report) {
    report_fd = report;
    /* Also while still host root: a launcher killed during the setup takes the init along. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("cannot set the death signal");
    struct pollfd early = {.fd = parent, .events = POLLIN};
    if (poll(&early, 1, 0) > 0) _exit(SETUP_FAILED);
    mount_kernel_filesystems();
    become_guest_root(user_namespace);
    /* Set after the credential change, which clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("cannot set the death signal");
    struct pollfd watch = {.fd = parent, .events = POLLIN};
    if (poll(&watch, 1, 0) > 0) _exit(SETUP_FAILED);
    apply_limits(options);
    if (xen2kvm_seccomp_for_guest_programs() != 0) fail("cannot install the seccomp filter");
    if (write(report, "started\n", 8) != 8) fail("cannot report to the launcher");
    close(report);
    report_fd = -1;
    pid_t program = fork();
    if (program < 0) _exit(SETUP_FAILED);
    if (program == 0) {
        /* Nothing of the launcher's reaches the program: no descriptor but 0, 1 and 2. */
        if (syscall(SYS_close_range, 3, ~0U, 0) != 0) close(parent);
        setsid();
        execvp(options->program[0], options->program);
        fprintf(stderr, "xen2kvm-sandbox: cannot run %s in the guest: %s\n", options->program[0], strerror(errno));
        _exit(CANNOT_RUN);
    }
    for (;;) {
        int status = 0;
        pid_t ended = waitpid(-1, &status, 0);
        if (ended == program) return exit_code(status);
        if (ended < 0 && errno != EINTR) return SETUP_FAILED;
    }
}

static volatile pid_t init_pid;

static void stop_init(int signal) {
    (void)signal;
    if (init_pid > 0) kill(init_pid, SIGKILL);
}

/* What the init said through its pipe, as the report file's content. */
static void write_report(int from_init, int to_file) {
    char text[700];
    size_t length = 0;
    for (;;) {
        ssize_t got = read(from_init, text + length, sizeof text - 1 - length);
        if (got > 0) length += (size_t)got;
        if (got == 0 || length == sizeof text - 1 || (got < 0 && errno != EINTR)) break;
    }
    if (length == 0) {
        static const char died[] = "failed: the sandbox's init ended before the program started\n";
        memcpy(text, died, sizeof died - 1);
        length = sizeof died - 1;
    }
    (void)!write(to_file, text, length);
}

int main(int argc, char **argv) {
    struct options options = parse(argc, argv);
    int report = open(options.report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (report < 0) fail("cannot write %s", options.report);
    report_fd = report;
    if (geteuid() != 0) fail("runs as root (it builds the guest's namespaces)");
    int user_namespace = make_user_namespace(&options);
    struct tree tree = prepare_tree(&options, user_namespace);
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP) != 0)
        fail("cannot make the namespaces (unshare)");
    enter_tree(tree);
    int alive[2], started[2];
    if (pipe2(alive, O_CLOEXEC) != 0 || pipe2(started, O_CLOEXEC) != 0) fail("pipe");
    struct sigaction action = {.sa_handler = stop_init};
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    pid_t init = fork();
    if (init < 0) fail("fork");
    if (init == 0) {
        close(alive[1]);
        close(started[0]);
        close(report);
        _exit(run_init(&options, user_namespace, alive[0], started[1]));
    }
    init_pid = init;
    close(alive[0]);
    close(started[1]);
    close(user_namespace);
    /* Read until the init closes its end: at the program's start, or when setup failed. */
    write_report(started[0], report);
    close(report);
    int status = 0;
    while (waitpid(init, &status, 0) < 0) {
        if (errno != EINTR) return SETUP_FAILED;
    }
    return exit_code(status);
}
