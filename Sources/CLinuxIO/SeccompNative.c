#define _GNU_SOURCE
#include <linux/audit.h>
#include <sys/syscall.h>

#include "SyscallTables.h"

#if defined(__x86_64__)
#define TABLE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TABLE_ARCH AUDIT_ARCH_AARCH64
#else
#error "xen2kvm: add this architecture's AUDIT_ARCH"
#endif

#define TABLE_NAME xen2kvm_native_table
#include "syscall_table_body.h"
