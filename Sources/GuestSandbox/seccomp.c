/* The seccomp filter every guest program runs under: the system calls in denied_syscalls.h
 * fail with EPERM; unshare and clone with CLONE_NEWUSER fail too (a nested user namespace is
 * kernel attack surface no step needs); clone3, whose flags a filter cannot read, reports
 * ENOSYS so that the C library falls back to clone, which the filter can judge. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "sandbox.h"

#define MAX_INSTRUCTIONS 512

static struct sock_filter program[MAX_INSTRUCTIONS];
static size_t length;
static int overflow;

static void emit(struct sock_filter instruction) {
    if (length == MAX_INSTRUCTIONS) {
        overflow = 1;
        return;
    }
    program[length++] = instruction;
}

static void emit_return(unsigned int value) { emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, value)); }

/* The checks for one architecture, with the system call number loaded. */
static void emit_table(const struct syscall_table *table) {
    for (size_t i = 0; i < table->denied_count; i++) {
        emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)table->denied[i], 0, 1));
        emit_return(SECCOMP_RET_ERRNO | EPERM);
    }
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)table->nr_clone3, 0, 1));
    emit_return(SECCOMP_RET_ERRNO | ENOSYS);
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)table->nr_unshare, 1, 0));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)table->nr_clone, 0, 3));
    /* The flags are the first argument of both; CLONE_NEWUSER is in its low 32 bits. */
    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1));
    emit_return(SECCOMP_RET_ERRNO | EPERM);
    emit_return(SECCOMP_RET_ALLOW);
}

/* Loads the number, then the table; another architecture jumps over it (the section ends in
 * returns, so the accumulator still holds the architecture where the jump lands). */
static void emit_architecture(const struct syscall_table *table, int deny_x32) {
    size_t check = length;
    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, table->audit_arch, 0, 0));
    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    if (deny_x32) {
        /* x32 numbers share the x86-64 architecture value: no guest uses them. */
        emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000u, 0, 1));
        emit_return(SECCOMP_RET_ERRNO | ENOSYS);
    }
    emit_table(table);
    /* The jump that skips this architecture's section when the value differs. */
    program[check].jf = (unsigned char)(length - check - 1);
    if (length - check - 1 > 255) overflow = 1;
}

int sandbox_install_seccomp(void) {
    length = 0;
    overflow = 0;
    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
#if defined(__x86_64__)
    emit_architecture(&sandbox_native_table, 1);
    emit_architecture(&sandbox_i386_table, 0);
#else
    emit_architecture(&sandbox_native_table, 0);
#endif
    /* An architecture with no table here: nothing it asks for can be judged. */
    emit_return(SECCOMP_RET_KILL_PROCESS);
    if (overflow) {
        errno = E2BIG;
        return -1;
    }
    struct sock_fprog filter = {.len = (unsigned short)length, .filter = program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0);
}
