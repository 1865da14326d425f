/* include/ForeignABICalls.h. Inline assembly because no C library call enters the i386 table
 * from a 64-bit process: only int 0x80 does. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ForeignABICalls.h"

/* getpid's number in the i386 table (<asm/unistd_32.h>, which cannot be included beside the
 * native <sys/syscall.h>: the same names). An ABI's numbers never change. */
#define I386_GETPID 20L

long xen2kvm_test_i386_getpid(void) {
#if defined(__x86_64__)
    long result = I386_GETPID;
    /* The kernel zeroes r8-r11 on the way back from int 0x80 in a 64-bit process. */
    __asm__ volatile("int $0x80" : "+a"(result) : : "r8", "r9", "r10", "r11", "memory", "cc");
    if (result < 0 && result > -4096) {
        errno = (int)-result;
        return -1;
    }
    return result;
#else
    errno = ENOSYS;
    return -1;
#endif
}

long xen2kvm_test_x32_getpid(void) {
#if defined(__x86_64__)
    return syscall(0x40000000L | SYS_getpid);
#else
    errno = ENOSYS;
    return -1;
#endif
}
