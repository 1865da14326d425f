/* The i386 numbers: a 32-bit guest (old Xen guests often are) runs its programs through the
 * compat entry, with numbers of its own that a native-only filter would not see. */
#if defined(__x86_64__)
#include <asm/unistd_32.h>
#include <linux/audit.h>

#include "sandbox.h"

static const int denied[] = {
#include "denied_syscalls.h"
};

const struct syscall_table sandbox_i386_table = {
    .audit_arch = AUDIT_ARCH_I386,
    .denied = denied,
    .denied_count = sizeof denied / sizeof denied[0],
    .nr_unshare = __NR_unshare,
    .nr_clone = __NR_clone,
    .nr_clone3 = __NR_clone3,
};
#endif
