#define _GNU_SOURCE
#include <linux/audit.h>
#include <sys/syscall.h>

#include "sandbox.h"

static const int denied[] = {
#include "denied_syscalls.h"
};

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "xen2kvm-sandbox: add this architecture's AUDIT_ARCH"
#endif

const struct syscall_table sandbox_native_table = {
    .audit_arch = NATIVE_ARCH,
    .denied = denied,
    .denied_count = sizeof denied / sizeof denied[0],
    .nr_unshare = __NR_unshare,
    .nr_clone = __NR_clone,
    .nr_clone3 = __NR_clone3,
};
