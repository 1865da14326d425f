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
