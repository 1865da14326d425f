#define _GNU_SOURCE
#include "CLinuxIO.h"
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/blkpg.h>
#include <linux/loop.h>
#include <linux/fs.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

ssize_t xen2kvm_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t len) {
    loff_t in = *off_in, out = *off_out;
    ssize_t copied = copy_file_range(fd_in, &in, fd_out, &out, len, 0);
    *off_in = in;
    *off_out = out;
    return copied;
}

int xen2kvm_clone_range(int fd_in, uint64_t off_in, uint64_t len, int fd_out, uint64_t off_out) {
    struct file_clone_range range = {.src_fd = fd_in, .src_offset = off_in, .src_length = len, .dest_offset = off_out};
    return ioctl(fd_out, FICLONERANGE, &range);
}

int64_t xen2kvm_seek_data(int fd, int64_t offset) { return lseek(fd, offset, SEEK_DATA); }
int64_t xen2kvm_seek_hole(int fd, int64_t offset) { return lseek(fd, offset, SEEK_HOLE); }

int xen2kvm_reopen_direct(int fd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

int xen2kvm_zero_range(int fd, int64_t offset, int64_t length) {
    return fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length);
}

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

static int blkpg(int disk_fd, int op, int number, int64_t start, int64_t length) {
    struct blkpg_partition part;
    struct blkpg_ioctl_arg arg;
    memset(&part, 0, sizeof part);
    memset(&arg, 0, sizeof arg);
    part.start = start;
    part.length = length;
    part.pno = number;
    arg.op = op;
    arg.datalen = sizeof part;
    arg.data = &part;
    return ioctl(disk_fd, BLKPG, &arg);
}

int xen2kvm_blkpg_add_partition(int disk_fd, int number, int64_t start, int64_t length) {
    return blkpg(disk_fd, BLKPG_ADD_PARTITION, number, start, length);
}

int xen2kvm_blkpg_delete_partition(int disk_fd, int number) {
    return blkpg(disk_fd, BLKPG_DEL_PARTITION, number, 0, 0);
}

int xen2kvm_loop_backing(const char *device, uint64_t *backing_device, uint64_t *backing_inode) {
    int fd = open(device, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct loop_info64 info;
    int result = ioctl(fd, LOOP_GET_STATUS64, &info);
    int saved = errno;
    close(fd);
    errno = saved;
    if (result != 0) return -1;
    *backing_device = info.lo_device;
    *backing_inode = info.lo_inode;
    return 0;
}

int xen2kvm_file_identity(const char *path, uint64_t *device, uint64_t *inode, uint64_t *born) {
    struct statx info;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_BTIME, &info) != 0) return -1;
    *device = makedev(info.stx_dev_major, info.stx_dev_minor);
    *inode = info.stx_ino;
    *born = (info.stx_mask & STATX_BTIME)
                ? (uint64_t)info.stx_btime.tv_sec * 1000000000u + info.stx_btime.tv_nsec
                : 0;
    return 0;
}

int xen2kvm_loop_free_number(void) {
    int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (control < 0) return -1;
    int number = ioctl(control, LOOP_CTL_GET_FREE);
    int saved = errno;
    close(control);
    errno = saved;
    return number;
}

int xen2kvm_loop_configure(const char *device, int backing_fd, uint64_t offset, uint64_t size_limit, int read_only) {
    int fd = open(device, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) return -1;
    struct loop_config config;
    memset(&config, 0, sizeof config);
    config.fd = backing_fd;
    config.info.lo_offset = offset;
    config.info.lo_sizelimit = size_limit;
    config.info.lo_flags = read_only ? LO_FLAGS_READ_ONLY : 0;
    int result = ioctl(fd, LOOP_CONFIGURE, &config);
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

int xen2kvm_syncfs(int fd) { return syncfs(fd); }
