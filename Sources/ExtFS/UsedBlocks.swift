import CExt2fs

extension ExtFilesystem {
    /// The blocks the block bitmaps mark as in use, as sorted runs of block numbers.
    ///
    /// Asks libext2fs for runs (find first set / first zero) rather than testing bit by bit.
    /// On a sound filesystem group metadata (superblock copies, descriptors, bitmaps, inode
    /// tables) is marked too; a copy adds `metadataBlockRuns()` all the same, because a bitmap
    /// that is missing, misplaced or stale reads as free and must not leave the structure out.
    public func usedBlockRuns() throws(ExtFSError) -> [Range<UInt64>] {
        let code = ext2fs_read_block_bitmap(fs)
        guard code == 0 else {
            throw .corrupt(path: path, detail: "cannot read the block bitmaps: \(ExtFSError.message(for: Int(code)))")
        }
        guard let bitmap = fs.pointee.block_map else { return [] }
        return runs(markedIn: bitmap)
    }

    /// The set bits of a block bitmap of this filesystem, as sorted runs of block numbers.
    func runs(markedIn bitmap: ext2fs_block_bitmap) -> [Range<UInt64>] {
        // Bounds in blocks from the superblock: with bigalloc the bitmap itself counts
        // clusters, but its search functions take and return block numbers.
        let first = UInt64(fs.pointee.super.pointee.s_first_data_block)
        let last = blockCount - 1
        var runs: [Range<UInt64>] = []
        // Block 0 (boot block + superblock when the block size is 1024, superblock otherwise)
        // lies before the bitmap's first block when first_data_block is 1; it is always used.
        if first > 0 { runs.append(0..<first) }
        var cursor = first
        while cursor <= last {
            var start: blk64_t = 0
            guard ext2fs_find_first_set_block_bitmap2(bitmap, blk64_t(cursor), blk64_t(last), &start) == 0
            else { break }
            var end: blk64_t = 0
            let found = ext2fs_find_first_zero_block_bitmap2(bitmap, start, blk64_t(last), &end) == 0
            // With bigalloc the answer is cluster-aligned and may pass the last block.
            let stop = min(found ? UInt64(end) : last + 1, blockCount)
            if let previous = runs.last, previous.upperBound == UInt64(start) {
                runs[runs.count - 1] = previous.lowerBound..<stop
            } else {
                runs.append(UInt64(start)..<stop)
            }
            cursor = stop
        }
        return runs
    }
}

extension ExtFilesystem {
    /// Inode-table blocks that hold no inode in use, as sorted runs of block numbers: each
    /// group's table past its `bg_itable_unused` inodes, all of it in an INODE_UNINIT group.
    /// Only with group descriptor checksums (uninit_bg, metadata_csum), where e2fsck and the
    /// kernel go by those counts and never read the inodes past them; empty otherwise.
    ///
    /// The bitmaps mark whole inode tables used, and on a big filesystem they are most of the
    /// used blocks (2 MiB a group: 512 MiB of a 32 GiB ext4 with a few thousand files). A copy
    /// into a target that reads as zeros may leave these blocks out, as `e2image -r` does for
    /// an image file (and, like it, not for a device, whose old contents are unknown).
    public func unusedInodeTableRuns() -> [Range<UInt64>] {
        guard ext2fs_has_group_desc_csum(fs) != 0 else { return [] }
        let inodesPerBlock = UInt64(fs.pointee.blocksize) / UInt64(max(1, fs.pointee.super.pointee.s_inode_size))
        let tableBlocks = UInt64(fs.pointee.inode_blocks_per_group)
        var runs: [Range<UInt64>] = []
        for group in 0..<fs.pointee.group_desc_count {
            let table = UInt64(ext2fs_inode_table_loc(fs, group))
            guard table > 0 else { continue }
            let uninit = ext2fs_bg_flags_test(fs, group, UInt16(EXT2_BG_INODE_UNINIT)) != 0
            let unusedBlocks = uninit ? tableBlocks : UInt64(ext2fs_bg_itable_unused(fs, group)) / inodesPerBlock
            let count = min(unusedBlocks, tableBlocks)
            if count > 0 { runs.append(table + tableBlocks - count..<table + tableBlocks) }
        }
        return runs.sorted { $0.lowerBound < $1.lowerBound }
    }
}

extension ExtFilesystem {
    /// `usedBlockRuns()`, less `unneededBlockRuns()` when `leavingOutUnneeded`.
    public func usedBlockRuns(leavingOutUnneeded: Bool) throws(ExtFSError) -> [Range<UInt64>] {
        let used = try usedBlockRuns()
        guard leavingOutUnneeded else { return used }
        return Self.subtract(unneededBlockRuns(), from: used)
    }

    /// Sorted, non-overlapping `runs` minus sorted `holes`.
    public static func subtract(_ holes: [Range<UInt64>], from runs: [Range<UInt64>]) -> [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        var next = holes.startIndex
        for run in runs {
            var start = run.lowerBound
            // Holes wholly before this run matter to no later run either.
            while next < holes.endIndex && holes[next].upperBound <= start { next += 1 }
            var index = next
            while index < holes.endIndex && holes[index].lowerBound < run.upperBound {
                let hole = holes[index]
                if hole.lowerBound > start { result.append(start..<hole.lowerBound) }
                start = max(start, hole.upperBound)
                index += 1
            }
            if start < run.upperBound { result.append(start..<run.upperBound) }
        }
        return result
    }
}

extension ExtFilesystem {
    /// The log of a clean internal journal: every journal block but the first, which holds the
    /// journal's own superblock. Empty when the journal needs recovery, lives on another
    /// device, or cannot be read.
    ///
    /// With no recovery pending (the superblock's `s_start` is 0) the kernel and e2fsck never
    /// read the log: a new transaction starts after the superblock with a fresh sequence
    /// number, which is also why `mke2fs -E lazy_journal_init` may leave it unwritten. On a
    /// volume that has lived it holds old transactions, 128 MiB to 1 GiB of them: not copying
    /// them (a new file reads as zeros there; other targets have them zeroed) loses nothing.
    public func inactiveJournalRuns() -> [Range<UInt64>] {
        let inode = fs.pointee.super.pointee.s_journal_inum
        guard xen2kvm_has_feature_journal(fs) != 0, xen2kvm_has_feature_needs_recovery(fs) == 0, inode != 0,
            journalIsEmpty()
        else { return [] }
        var capacity = 64
        while true {
            var starts = [blk64_t](repeating: 0, count: capacity)
            var counts = [blk64_t](repeating: 0, count: capacity)
            let (code, runs) = starts.withUnsafeMutableBufferPointer { starts in
                counts.withUnsafeMutableBufferPointer { counts in
                    var runs = xen2kvm_block_runs(
                        from: 1, starts: starts.baseAddress, counts: counts.baseAddress, capacity: capacity, count: 0,
                        overflow: 0)
                    let code = xen2kvm_data_block_runs(fs, inode, &runs)
                    return (code, runs)
                }
            }
            guard code == 0 else { return [] }
            if runs.overflow != 0 {
                capacity *= 8
                continue
            }
            return (0..<runs.count).map { UInt64(starts[$0])..<UInt64(starts[$0] + counts[$0]) }
                .sorted { $0.lowerBound < $1.lowerBound }
        }
    }

    /// Whether the journal's superblock (its first block) is a jbd2 superblock with no log to
    /// replay (`s_start` 0). Big-endian fields: magic at 0, block type at 4 (3 or 4: v1 or v2
    /// superblock), s_start at 28.
    private func journalIsEmpty() -> Bool {
        guard let first = journalSuperblockBlock() else { return false }
        var block = [UInt8](repeating: 0, count: blockSize)
        guard io_channel_read_blk64(fs.pointee.io, first, 1, &block) == 0 else { return false }
        func word(_ at: Int) -> UInt32 { block[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        return word(0) == 0xC03B_3998 && (word(4) == 3 || word(4) == 4) && word(28) == 0
    }

    /// Used blocks a copy need not read: unused inode tables and the log of a clean journal,
    /// sorted and merged.
    public func unneededBlockRuns() -> [Range<UInt64>] {
        Self.union(unusedInodeTableRuns(), inactiveJournalRuns())
    }

    /// Every block in any of the runs, as sorted, merged runs.
    public static func union(_ first: [Range<UInt64>], _ second: [Range<UInt64>]) -> [Range<UInt64>] {
        var merged: [Range<UInt64>] = []
        for run in (first + second).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, run.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, run.upperBound)
            } else {
                merged.append(run)
            }
        }
        return merged
    }
}
