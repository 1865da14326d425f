#ifndef XEN2KVM_SANDBOX_H
#define XEN2KVM_SANDBOX_H

#include <stddef.h>

/* One architecture's system call numbers, for the seccomp filter. */
struct syscall_table {
    unsigned int audit_arch;
    const int *denied;
    size_t denied_count;
    int nr_unshare, nr_clone, nr_clone3;
};

extern const struct syscall_table sandbox_native_table;
#if defined(__x86_64__)
extern const struct syscall_table sandbox_i386_table;
#endif

/* Installs the filter (no_new_privs first); 0 or -1 with errno. */
int sandbox_install_seccomp(void);

#endif
