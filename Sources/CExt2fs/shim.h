#ifndef XEN2KVM_CEXT2FS_SHIM_H
#define XEN2KVM_CEXT2FS_SHIM_H
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <e2p/e2p.h>
#include <ext2fs/ext2_err.h>
#include <pthread.h>

/* com_err knows libext2fs's codes only once their table is registered; without it every
   message reads "Unknown code ext2 152". Registered once per process. */
static pthread_once_t xen2kvm_error_table_once = PTHREAD_ONCE_INIT;
static inline void xen2kvm_register_error_table(void) { pthread_once(&xen2kvm_error_table_once, initialize_ext2_error_table); }

/* Swift 6 rejects libext2fs's mutable C global `unix_io_manager` as unsafe shared
   state; reading it through a function keeps the access in C. */
static inline io_manager xen2kvm_unix_io_manager(void) { return unix_io_manager; }

/* Flags and macros Swift cannot import (function-like macros). */
static inline int xen2kvm_has_feature_journal(ext2_filsys fs) { return ext2fs_has_feature_journal(fs->super); }
static inline int xen2kvm_has_feature_needs_recovery(ext2_filsys fs) { return ext2fs_has_feature_journal_needs_recovery(fs->super); }
static inline int xen2kvm_has_feature_64bit(ext2_filsys fs) { return ext2fs_has_feature_64bit(fs->super); }
static inline int xen2kvm_has_feature_flex_bg(ext2_filsys fs) { return ext2fs_has_feature_flex_bg(fs->super); }
static inline int xen2kvm_has_feature_sparse_super(ext2_filsys fs) { return ext2fs_has_feature_sparse_super(fs->super); }
static inline int xen2kvm_has_feature_meta_bg(ext2_filsys fs) { return ext2fs_has_feature_meta_bg(fs->super); }
static inline int xen2kvm_has_feature_resize_inode(ext2_filsys fs) { return ext2fs_has_feature_resize_inode(fs->super); }
static inline int xen2kvm_has_feature_extents(ext2_filsys fs) { return ext2fs_has_feature_extents(fs->super); }
static inline int xen2kvm_linux_s_isdir(unsigned int mode) { return LINUX_S_ISDIR(mode); }
static inline int xen2kvm_linux_s_isreg(unsigned int mode) { return LINUX_S_ISREG(mode); }
static inline int xen2kvm_linux_s_islnk(unsigned int mode) { return LINUX_S_ISLNK(mode); }
static inline blk64_t xen2kvm_blocks_count(ext2_filsys fs) { return ext2fs_blocks_count(fs->super); }
static inline blk64_t xen2kvm_free_blocks_count(ext2_filsys fs) { return ext2fs_free_blocks_count(fs->super); }
static inline blk64_t xen2kvm_r_blocks_count(ext2_filsys fs) { return ext2fs_r_blocks_count(fs->super); }
static inline unsigned int xen2kvm_block_size(ext2_filsys fs) { return fs->blocksize; }

/* Physical blocks of an inode's data (not its extent-tree or indirect blocks) from logical
   block `from` on, as runs: `starts[i]`, `counts[i]`, at most `capacity` of them. */
struct xen2kvm_block_runs {
    blk64_t from;
    blk64_t *starts;
    blk64_t *counts;
    size_t capacity, count;
    int overflow;
};

static int xen2kvm_collect_block(ext2_filsys fs, blk64_t *block, e2_blkcnt_t logical, blk64_t ref_block,
                                 int ref_offset, void *data) {
    (void)fs, (void)ref_block, (void)ref_offset;
    struct xen2kvm_block_runs *runs = data;
    if (logical < 0 || (blk64_t)logical < runs->from || *block == 0) return 0;
    if (runs->count > 0 && runs->starts[runs->count - 1] + runs->counts[runs->count - 1] == *block) {
        runs->counts[runs->count - 1]++;
    } else if (runs->count < runs->capacity) {
        runs->starts[runs->count] = *block;
        runs->counts[runs->count] = 1;
        runs->count++;
    } else {
        runs->overflow = 1;
        return BLOCK_ABORT;
    }
    return 0;
}

/* 0 and the runs; an errcode_t when the inode cannot be walked; runs.overflow when more runs
   than `capacity` were found (the caller asks again with room for more). */
static inline errcode_t xen2kvm_data_block_runs(ext2_filsys fs, ext2_ino_t inode, struct xen2kvm_block_runs *runs) {
    return ext2fs_block_iterate3(fs, inode, BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY, NULL,
                                 xen2kvm_collect_block, runs);
}
#endif
