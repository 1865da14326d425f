/* For ForeignABIGuestProgramTests: runs PROGRAM under the guest programs' seccomp filter
 * alone, built at test time from Sources/CLinuxIO's own Seccomp*.c, as host root and outside
 * any namespace: where the sandbox's missing capabilities refuse a call with EPERM as well
 * (a module load, kexec_load), only the filter can refuse it here.
 *
 *   with-guest-filter PROGRAM ARG... */
#include <stdio.h>
#include <unistd.h>

#include "Seccomp.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: with-guest-filter PROGRAM ARG...\n");
        return 2;
    }
    if (xen2kvm_seccomp_for_guest_programs() != 0) {
        perror("with-guest-filter: the seccomp filter");
        return 125;
    }
    execv(argv[1], argv + 1);
    perror("with-guest-filter: exec");
    return 127;
}
