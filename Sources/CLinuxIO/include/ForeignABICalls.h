#ifndef XEN2KVM_FOREIGN_ABI_CALLS_H
#define XEN2KVM_FOREIGN_ABI_CALLS_H

/* For the image parser's test hook only (XEN2KVM_TEST_PARSER=probe, =i386): getpid through
 * the other ABIs an x86-64 kernel takes from a 64-bit process, which the parser's seccomp
 * filter must refuse. The pid, or -1 with errno (ENOSYS on other architectures). */

/* int 0x80: the i386 table (the parser's filter kills the process). */
long xen2kvm_test_i386_getpid(void);

/* The x32 bit 0x40000000 on the number (the filter answers EPERM). */
long xen2kvm_test_x32_getpid(void);

#endif
