/* The denied system calls through another ABI than x86-64's, for ForeignABIGuestProgramTests:
 * built at test time static with `gcc -m32` (an i386 guest's program: its calls enter the
 * kernel's i386 table, with i386 numbers) and natively (`abi-calls x32`: each number with the
 * x32 bit 0x40000000, which the kernel reads as the x32 table). One line per call:
 *
 *   CALL name ok|ERRNONAME
 *
 * Each call's arguments are chosen so that the kernel itself refuses it harmlessly with an
 * errno other than EPERM, even for host root without a filter (the test's control run): an
 * absent path, pid or command, flags that make no sense. EPERM is then the filter's answer
 * (the module loads and kexec_load are EPERM in the sandbox anyway, for want of a capability:
 * the test runs them under the filter alone as host root too). getpid and write must work. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bit;

static void report(const char *name, long result) {
    int saved = errno;
    printf("CALL %s %s\n", name, result < 0 ? strerrorname_np(saved) : "ok");
}

#define CALL(name, number, ...)                                           \
    do {                                                                  \
        errno = 0;                                                        \
        report(name, syscall(bit | (number), __VA_ARGS__));               \
    } while (0)

int main(int argc, char **argv) {
#if defined(__x86_64__)
    if (argc < 2 || strcmp(argv[1], "x32") != 0) {
        fprintf(stderr, "usage: abi-calls x32 (or build it with gcc -m32)\n");
        return 2;
    }
    bit = 0x40000000;
#else
    (void)argc;
    (void)argv;
#endif
    static const char garbage[16] = "not a module";
    static const char line[] = "CALL write ok\n";
    errno = 0;
    report("getpid", syscall(bit | SYS_getpid, 0) > 0 ? 0 : -1);
    fflush(stdout);
    if (syscall(bit | SYS_write, 1, line, sizeof line - 1) != (long)(sizeof line - 1))
        report("write", -1);
    fflush(stdout);
    CALL("init_module", SYS_init_module, garbage, sizeof garbage, "");
    CALL("finit_module", SYS_finit_module, -1, "", 0);
    CALL("mount", SYS_mount, "none", "/xen2kvm-absent-mount-point", "tmpfs", 0, NULL);
    /* CLONE_SETTLS: not a flag unshare takes (EINVAL); CLONE_FS: never with a new user
     * namespace in clone (EINVAL). */
    CALL("unshare", SYS_unshare, CLONE_NEWUSER | CLONE_SETTLS);
    CALL("clone", SYS_clone, CLONE_NEWUSER | CLONE_FS, 0, 0, 0, 0);
    CALL("ptrace", SYS_ptrace, PTRACE_ATTACH, 0x3ffffffe, 0, 0);
    CALL("keyctl", SYS_keyctl, 0x7fff, 0, 0, 0, 0);
    /* A flag kexec_load does not know: EINVAL before anything is loaded or unloaded. */
    CALL("kexec_load", SYS_kexec_load, 0, 0, NULL, 0x8000);
    CALL("bpf", SYS_bpf, 0x7fff, NULL, 0);
    return 0;
}
