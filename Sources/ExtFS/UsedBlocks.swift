import CExt2fs

extension ExtFilesystem {
    /// The blocks the block bitmaps mark as in use, as sorted runs of block numbers.
    ///
    /// Asks libext2fs for runs (find first set / first zero) rather than testing bit by bit.
    /// Group metadata (superblock copies, descriptors, bitmaps, inode tables) is marked in the
    /// bitmaps too, so these runs are everything a block copy must carry.
    public func usedBlockRuns() throws(ExtFSError) -> [Range<UInt64>] {
        let code = ext2fs_read_block_bitmap(fs)
        guard code == 0 else {
            throw .corrupt(path: path, detail: "cannot read the block bitmaps: \(ExtFSError.message(for: Int(code)))")
        }
        guard let bitmap = fs.pointee.block_map else { return [] }
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
    /// `usedBlockRuns()`, less `unusedInodeTableRuns()` when `leavingOutUnusedInodeTables`.
    public func usedBlockRuns(leavingOutUnusedInodeTables: Bool) throws(ExtFSError) -> [Range<UInt64>] {
        let used = try usedBlockRuns()
        guard leavingOutUnusedInodeTables else { return used }
        return Self.subtract(unusedInodeTableRuns(), from: used)
    }

    /// Sorted, non-overlapping `runs` minus sorted `holes`.
    static func subtract(_ holes: [Range<UInt64>], from runs: [Range<UInt64>]) -> [Range<UInt64>] {
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
