#define _GNU_SOURCE
#include <linux/audit.h>
#include <sys/syscall.h>

#include "SyscallTables.h"

static const int denied[] = {
#include "denied_syscalls.h"
};

static const int parser_denied[] = {
#include "denied_for_parsers.h"
};

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "xen2kvm: add this architecture's AUDIT_ARCH"
#endif

const struct syscall_table xen2kvm_native_table = {
    .audit_arch = NATIVE_ARCH,
    .denied = denied,
    .denied_count = sizeof denied / sizeof denied[0],
    .parser_denied = parser_denied,
    .parser_denied_count = sizeof parser_denied / sizeof parser_denied[0],
    .nr_unshare = __NR_unshare,
    .nr_clone = __NR_clone,
    .nr_clone3 = __NR_clone3,
#ifdef __NR_open
    .nr_open = __NR_open,
#else
    .nr_open = -1,
#endif
    .nr_openat = __NR_openat,
    .nr_openat2 = __NR_openat2,
    .nr_tgkill = __NR_tgkill,
};
