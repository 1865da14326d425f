#ifndef XEN2KVM_CEXT2FS_SHIM_H
#define XEN2KVM_CEXT2FS_SHIM_H
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <e2p/e2p.h>

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
#endif
