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
        let first = UInt64(ext2fs_get_block_bitmap_start2(bitmap))
        let last = UInt64(ext2fs_get_block_bitmap_end2(bitmap))
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
            let stop: UInt64
            if ext2fs_find_first_zero_block_bitmap2(bitmap, start, blk64_t(last), &end) == 0 {
                stop = UInt64(end)
            } else {
                stop = last + 1
            }
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
