/* The seccomp filters (include/Seccomp.h). Each denied call fails with EPERM, so a program
 * that tries one fails where it tried instead of dying unexplained; clone3, whose flags a
 * filter cannot read, reports ENOSYS so that the C library falls back to clone, which the
 * filter can judge; openat2 (flags in a struct too) the same, falling back to openat. On
 * x86-64 the guest programs' filter judges i386 calls (int 0x80) by the i386 table; the
 * parser's kills them; both refuse every x32 call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "Seccomp.h"
#include "SyscallTables.h"

#define MAX_INSTRUCTIONS 1024
#define ARGUMENT(n) offsetof(struct seccomp_data, args[n])
/* Open flags that can change a file. */
#define WRITING_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

struct filter {
    struct sock_filter program[MAX_INSTRUCTIONS];
    size_t length;
    int overflow;
};

static void emit(struct filter *f, struct sock_filter instruction) {
    if (f->length == MAX_INSTRUCTIONS) {
        f->overflow = 1;
        return;
    }
    f->program[f->length++] = instruction;
}

static void emit_return(struct filter *f, unsigned int value) {
    emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, value));
}

static void emit_load(struct filter *f, size_t offset) {
    emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned int)offset));
}

/* if (nr == number) return value; */
static void emit_deny(struct filter *f, int number, unsigned int value) {
    if (number < 0) return;
    emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)number, 0, 1));
    emit_return(f, value);
}

static void emit_deny_all(struct filter *f, const int *numbers, size_t count) {
    for (size_t i = 0; i < count; i++) emit_deny(f, numbers[i], SECCOMP_RET_ERRNO | EPERM);
}

/* if (nr == number) { if (args[argument] & bits) == expected: EPERM; else allow } — the number
 * is reloaded for the next check on the way out. */
static void emit_flag_check(struct filter *f, int number, size_t argument, unsigned int bits, int deny_when_set) {
    if (number < 0) return;
    emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)number, 0, 4));
    emit_load(f, ARGUMENT(argument));
    emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, deny_when_set ? 0 : 1,
                                         deny_when_set ? 1 : 0));
    emit_return(f, SECCOMP_RET_ERRNO | EPERM);
    emit_return(f, SECCOMP_RET_ALLOW);
}

/* One architecture's section, entered with the architecture loaded: another jumps over it
 * with a jump of 32-bit reach (a section is longer than a conditional jump's 255), landing
 * with the architecture still loaded (the section ends in returns). */
static void emit_architecture(struct filter *f, const struct syscall_table *table, int parser, int x86_64) {
    emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, table->audit_arch, 1, 0));
    size_t skip = f->length;
    emit(f, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0));
    emit_load(f, offsetof(struct seccomp_data, nr));
    if (x86_64) {
        /* x32 numbers share the x86-64 architecture value (nothing here uses them), so the
         * deny list below, written in x86-64 numbers, would not see one: every x32 call is
         * refused. EPERM, not ENOSYS, so the refusal is this filter's own and not a kernel
         * built without x32 answering (ForeignABIGuestProgramTests tells them apart so). */
        emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000u, 0, 1));
        emit_return(f, SECCOMP_RET_ERRNO | EPERM);
    }
    emit_deny_all(f, table->denied, table->denied_count);
    emit_deny(f, table->nr_clone3, SECCOMP_RET_ERRNO | ENOSYS);
    if (parser) {
        emit_deny_all(f, table->parser_denied, table->parser_denied_count);
        emit_deny(f, table->nr_unshare, SECCOMP_RET_ERRNO | EPERM);
        emit_deny(f, table->nr_openat2, SECCOMP_RET_ERRNO | ENOSYS);
        /* Threads only: a clone without CLONE_THREAD is a new process. */
        emit_flag_check(f, table->nr_clone, 0, CLONE_THREAD, 0);
        emit_flag_check(f, table->nr_open, 1, WRITING_FLAGS, 1);
        emit_flag_check(f, table->nr_openat, 2, WRITING_FLAGS, 1);
        /* Signals to itself only (abort raises through tgkill). */
        if (table->nr_tgkill >= 0) {
            emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)table->nr_tgkill, 0, 4));
            emit_load(f, ARGUMENT(0));
            emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)getpid(), 1, 0));
            emit_return(f, SECCOMP_RET_ERRNO | EPERM);
            emit_return(f, SECCOMP_RET_ALLOW);
        }
    } else {
        /* unshare and clone: any flags but a nested user namespace. */
        emit_flag_check(f, table->nr_unshare, 0, CLONE_NEWUSER, 1);
        emit_flag_check(f, table->nr_clone, 0, CLONE_NEWUSER, 1);
    }
    emit_return(f, SECCOMP_RET_ALLOW);
    f->program[skip].k = (unsigned int)(f->length - skip - 1);
}

static int install(int parser) {
    static struct filter f;
    f.length = 0;
    f.overflow = 0;
    emit_load(&f, offsetof(struct seccomp_data, arch));
#if defined(__x86_64__)
    emit_architecture(&f, &xen2kvm_native_table, parser, 1);
    if (!parser) emit_architecture(&f, &xen2kvm_i386_table, parser, 0);
#else
    emit_architecture(&f, &xen2kvm_native_table, parser, 0);
#endif
    /* An architecture with no section: nothing it asks for can be judged. */
    emit_return(&f, SECCOMP_RET_KILL_PROCESS);
    if (f.overflow) {
        errno = E2BIG;
        return -1;
    }
    struct sock_fprog program = {.len = (unsigned short)f.length, .filter = f.program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    /* TSYNC: every thread of a Swift process, not only the calling one. */
    return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, parser ? SECCOMP_FILTER_FLAG_TSYNC : 0, &program);
}

int xen2kvm_seccomp_for_guest_programs(void) { return install(0); }

int xen2kvm_seccomp_for_image_parser(void) { return install(1); }
