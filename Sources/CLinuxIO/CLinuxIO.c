#define _GNU_SOURCE
#include "CLinuxIO.h"
#include <fcntl.h>
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
