#ifndef XEN2KVM_SECCOMP_H
#define XEN2KVM_SECCOMP_H

/* The seccomp filters (no_new_privs first), for this thread and everything it starts.
 * 0, or -1 with errno. */

/* For a guest's own programs (xen2kvm-sandbox): module loading, kexec, bpf, perf, keyctl,
 * ptrace, reboot, swap, handles, userfaultfd, io_uring, every mount call, setns and a nested
 * user namespace fail with EPERM. Native and (x86-64) i386 numbers; every x32 call fails
 * with EPERM. */
int xen2kvm_seccomp_for_guest_programs(void);

/* For xen2kvm's own image parser in a child: the above, and no programs, no network, no
 * process but threads, no signal but to itself, files opened for reading only and never
 * changed by name. Another architecture's calls kill it: xen2kvm makes none. */
int xen2kvm_seccomp_for_image_parser(void);

#endif
