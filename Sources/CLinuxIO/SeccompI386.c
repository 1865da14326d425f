/* The i386 numbers: a 32-bit guest (old Xen guests often are) runs its programs through the
 * compat entry, with numbers of its own that a native-only filter would not see. */
#if defined(__x86_64__)
#include <asm/unistd_32.h>
#include <linux/audit.h>

#include "SyscallTables.h"

#define TABLE_NAME xen2kvm_i386_table
#define TABLE_ARCH AUDIT_ARCH_I386
#include "syscall_table_body.h"
#endif
