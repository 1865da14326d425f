/* The body of one architecture's syscall_table, shared by SeccompNative.c and SeccompI386.c:
 * each includes its own ABI's __NR_ numbers, defines TABLE_NAME and TABLE_ARCH, then this,
 * so the two tables cannot list different calls. Not a header to include anywhere else. */
static const int denied[] = {
#include "denied_syscalls.h"
};

static const int parser_denied[] = {
#include "denied_for_parsers.h"
};

const struct syscall_table TABLE_NAME = {
    .audit_arch = TABLE_ARCH,
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
