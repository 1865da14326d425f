import CExt2fs

extension ExtFilesystem {
    /// The blocks the filesystem's own structure occupies, found from the superblock and the
    /// group descriptors, never from the block bitmaps: block 0 and the superblock, every
    /// superblock backup and descriptor block (reserved GDT blocks included), each group's
    /// block and inode bitmaps and inode table, and the journal's superblock.
    ///
    /// A block copy carries these whatever the bitmaps say: a group whose bitmap is missing or
    /// lies outside the filesystem reads as all free (libext2fs zero-fills it), and a copy
    /// that trusted it would lose the superblock and descriptors a good source still has.
    public func metadataBlockRuns() -> [Range<UInt64>] {
        var bitmap: ext2fs_block_bitmap?
        guard ext2fs_allocate_block_bitmap(fs, "metadata", &bitmap) == 0, let bitmap else {
            return [0..<min(blockCount, 1 + UInt64(fs.pointee.super.pointee.s_first_data_block))]
        }
        defer { ext2fs_free_block_bitmap(bitmap) }
        let count = blockCount
        func mark(_ start: blk64_t, _ length: UInt64) {
            guard start > 0, UInt64(start) < count, length > 0 else { return }
            ext2fs_mark_block_bitmap_range2(bitmap, start, UInt32(min(length, count - UInt64(start))))
        }
        for group in 0..<fs.pointee.group_desc_count {
            // libext2fs's own rule for where a group's superblock and descriptors are
            // (sparse_super, meta_bg, reserved GDT blocks).
            _ = ext2fs_reserve_super_and_bgd(fs, group, bitmap)
            mark(ext2fs_block_bitmap_loc(fs, group), 1)
            mark(ext2fs_inode_bitmap_loc(fs, group), 1)
            mark(ext2fs_inode_table_loc(fs, group), UInt64(fs.pointee.inode_blocks_per_group))
        }
        if let journalSuperblock = journalSuperblockBlock() { mark(journalSuperblock, 1) }
        // runs(markedIn:) adds the blocks before the first data block (block 0 with 1 KiB blocks).
        var runs = self.runs(markedIn: bitmap)
        if runs.first?.lowerBound != 0 { runs = Self.union([0..<1], runs) }
        return runs
    }

    /// The block holding the internal journal's superblock, or nil without one.
    func journalSuperblockBlock() -> blk64_t? {
        let inode = fs.pointee.super.pointee.s_journal_inum
        guard xen2kvm_has_feature_journal(fs) != 0, inode != 0 else { return nil }
        var first: blk64_t = 0
        guard ext2fs_bmap2(fs, inode, nil, nil, 0, 0, nil, &first) == 0, first != 0 else { return nil }
        return first
    }
}
