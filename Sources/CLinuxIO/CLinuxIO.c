#define _GNU_SOURCE
#include "CLinuxIO.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

ssize_t xen2kvm_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t len) {
    loff_t in = *off_in, out = *off_out;
    ssize_t copied = copy_file_range(fd_in, &in, fd_out, &out, len, 0);
    *off_in = in;
    *off_out = out;
    return copied;
}

int64_t xen2kvm_seek_data(int fd, int64_t offset) { return lseek(fd, offset, SEEK_DATA); }
int64_t xen2kvm_seek_hole(int fd, int64_t offset) { return lseek(fd, offset, SEEK_HOLE); }

int xen2kvm_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

int xen2kvm_open_in_root(int root_fd, const char *path, int flags, unsigned int mode) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)flags | O_CLOEXEC;
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}
