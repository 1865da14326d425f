/* The i386 numbers: a 32-bit guest (old Xen guests often are) runs its programs through the
 * compat entry, with numbers of its own that a native-only filter would not see. */
#if defined(__x86_64__)
#include <asm/unistd_32.h>
#include <linux/audit.h>

#include "SyscallTables.h"

static const int denied[] = {
#include "denied_syscalls.h"
};

static const int parser_denied[] = {
#include "denied_for_parsers.h"
};

const struct syscall_table xen2kvm_i386_table = {
    .audit_arch = AUDIT_ARCH_I386,
    .denied = denied,
    .denied_count = sizeof denied / sizeof denied[0],
    .parser_denied = parser_denied,
    .parser_denied_count = sizeof parser_denied / sizeof parser_denied[0],
    .nr_unshare = __NR_unshare,
    .nr_clone = __NR_clone,
    .nr_clone3 = __NR_clone3,
    .nr_open = __NR_open,
    .nr_openat = __NR_openat,
    .nr_openat2 = __NR_openat2,
    .nr_tgkill = __NR_tgkill,
};
#endif
