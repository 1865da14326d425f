#ifndef XEN2KVM_CLINUXIO_H
#define XEN2KVM_CLINUXIO_H
#include <sys/types.h>
#include <stdint.h>
#include "ReadAheadRing.h"
#include "Seccomp.h"
#include "ForeignABICalls.h"

/* Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module does
   not define; the .c file does, and these wrappers carry them over. */
ssize_t xen2kvm_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t len);
/* FICLONERANGE: `fd_out` shares the source's blocks (reflink: XFS, btrfs) instead of a copy.
   0, or -1 with errno (EOPNOTSUPP, EXDEV, EINVAL for ranges not aligned to blocks, …). */
int xen2kvm_clone_range(int fd_in, uint64_t off_in, uint64_t len, int fd_out, uint64_t off_out);
int64_t xen2kvm_seek_data(int fd, int64_t offset);
int64_t xen2kvm_seek_hole(int fd, int64_t offset);
/* A second descriptor of the same open file (not a path lookup, so it cannot be another file),
   write-only with O_DIRECT. -1 (errno) where the filesystem does not support direct I/O. */
int xen2kvm_reopen_direct(int fd);
/* fallocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE): the range reads as zeros after it,
   without writing them where the file system or device can (unwritten extents, WRITE ZEROES).
   Works on files and block devices. 0, or -1 (errno: EOPNOTSUPP where it cannot). */
int xen2kvm_zero_range(int fd, int64_t offset, int64_t length);
/* Starts writeback of a written range without waiting (SYNC_FILE_RANGE_WRITE), so the
   final fsync has little left to do. */
int xen2kvm_start_writeback(int fd, int64_t offset, int64_t length);
/* syncfs(2): writes the filesystem `fd` is on to its device. Before an unmount: a mount
   namespace copied meanwhile (any program's unshare) can keep the filesystem alive after the
   unmount, and its data would then reach the disk only whenever it writes back. */
int xen2kvm_syncfs(int fd);
/* openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: `path` is resolved as if `root_fd`
   were "/" — absolute symlinks and ".." never leave it. Returns a descriptor or -1 (errno). */
int xen2kvm_open_in_root(int root_fd, const char *path, int flags, unsigned int mode);
/* BLKPG_ADD_PARTITION / BLKPG_DEL_PARTITION on a whole-disk device (what `partx -a/-d` do):
   this kernel has no partition-table parser for loop devices, so xen2kvm adds the
   partitions it wrote itself. Offsets and lengths in bytes. 0 on success, -1 (errno). */
int xen2kvm_blkpg_add_partition(int disk_fd, int number, int64_t start, int64_t length);
int xen2kvm_blkpg_delete_partition(int disk_fd, int number);
/* LOOP_GET_STATUS64: the device and inode numbers of the file behind a loop device (valid
   even when that file was deleted). 0 on success, -1 (errno; ENXIO: not attached). */
int xen2kvm_loop_backing(const char *device, uint64_t *backing_device, uint64_t *backing_inode);
/* LOOP_CTL_GET_FREE: the number of a free loop device (made if needed), or -1 (errno). */
int xen2kvm_loop_free_number(void);
/* LOOP_CONFIGURE: attaches the open file `backing_fd` to `device` from `offset`, at most
   `size_limit` bytes (0: to the end), read-only if asked. 0, or -1 (errno; EBUSY: the device
   was taken meanwhile). */
int xen2kvm_loop_configure(const char *device, int backing_fd, uint64_t offset, uint64_t size_limit, int read_only);
/* statx(2) of `path` itself (a symlink is not followed): device, inode and birth time in
   nanoseconds since the epoch (0 where the filesystem keeps none). 0, or -1 (errno). */
int xen2kvm_file_identity(const char *path, uint64_t *device, uint64_t *inode, uint64_t *born);
#endif
