#ifndef XEN2KVM_SYSCALL_TABLES_H
#define XEN2KVM_SYSCALL_TABLES_H

#include <stddef.h>

/* One architecture's system call numbers, for the seccomp filters (Seccomp.c). A number an
 * architecture lacks is -1. */
struct syscall_table {
    unsigned int audit_arch;
    const int *denied;
    size_t denied_count;
    const int *parser_denied;
    size_t parser_denied_count;
    int nr_unshare, nr_clone, nr_clone3, nr_open, nr_openat, nr_openat2, nr_tgkill;
};

extern const struct syscall_table xen2kvm_native_table;
#if defined(__x86_64__)
extern const struct syscall_table xen2kvm_i386_table;
#endif

#endif
