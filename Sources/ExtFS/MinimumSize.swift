import CExt2fs

extension ExtFilesystem {
    /// An estimate of the smallest size, in bytes, this filesystem can shrink to — the figure
    /// `resize2fs -P` prints (times the block size).
    public func minimumSizeBytes() throws(ExtFSError) -> UInt64 {
        try minimumSizeBlocks() * UInt64(blockSize)
    }

    /// An estimate of the smallest size, in blocks, this filesystem can shrink to: the same
    /// figure `resize2fs -P` prints (e2fsprogs 1.47, `calculate_minimum_resize_size`).
    ///
    /// It is resize2fs's estimate, not a bound of our own: a shrink is only worth planning when
    /// resize2fs will agree to it, so the target must be what resize2fs would accept.
    public func minimumSizeBlocks() throws(ExtFSError) -> UInt64 {
        try MinimumSizeEstimator(fs: fs, path: path).minimumBlocks()
    }
}

/// The geometry resize2fs's estimate works from, and the estimate itself in steps.
///
/// resize2fs computes in unsigned C integers; the few subtractions that could wrap there are
/// saturating here. They only matter for an inconsistent filesystem, where the estimate is
/// meaningless anyway.
private struct MinimumSizeEstimator {
    let fs: ext2_filsys
    let path: String
    let blocksPerGroup: UInt64
    let groupCount: UInt64
    let blockCount: UInt64
    let hasFlexBG: Bool
    /// Groups per flex group (1 without flex_bg).
    let flexSize: UInt64
    /// Blocks a group holding a copy of the "old style" descriptor table spends on it.
    let oldDescriptorBlocks: UInt64

    init(fs: ext2_filsys, path: String) {
        let sb = fs.pointee.super.pointee
        self.fs = fs
        self.path = path
        blocksPerGroup = UInt64(sb.s_blocks_per_group)
        groupCount = UInt64(fs.pointee.group_desc_count)
        blockCount = UInt64(xen2kvm_blocks_count(fs))
        hasFlexBG = xen2kvm_has_feature_flex_bg(fs) != 0
        flexSize = hasFlexBG ? UInt64(1) << UInt64(sb.s_log_groups_per_flex) : 1
        // With meta_bg only the first s_first_meta_bg descriptor blocks are laid out the old
        // way (whole table copied after each superblock backup); later ones live one per meta
        // group. Without it every backup carries the full table plus the blocks reserved for
        // growing it online (resize_inode).
        if xen2kvm_has_feature_meta_bg(fs) != 0 {
            oldDescriptorBlocks = UInt64(sb.s_first_meta_bg)
        } else {
            oldDescriptorBlocks = UInt64(fs.pointee.desc_blocks) + UInt64(sb.s_reserved_gdt_blocks)
        }
    }

    /// Groups needed for the inodes, then more groups until the data fits, then a partial
    /// last group, then slack for extent trees.
    func minimumBlocks() throws(ExtFSError) -> UInt64 {
        let usedInodes = usedInodeCount
        // Inode tables do not grow on shrink, so keep enough groups for every inode in use.
        // (Never 0: the reserved inodes always count as used.)
        let inodesPerGroup = UInt64(fs.pointee.super.pointee.s_inodes_per_group)
        var groups = max(1, (usedInodes + inodesPerGroup - 1) / inodesPerGroup)
        guard let dataNeeded = try dataBlocksInUse() else { return blockCount }

        // Room for data in those groups, and how much of it lies before the last one.
        var flexGroups = flexEnd(covering: groups)
        var dataBlocks = groups * blocksPerGroup
        var beforeLast: UInt64 = 0
        try spendOverhead(of: 0..<flexGroups, groups: groups, room: &dataBlocks, beforeLast: &beforeLast)

        // Not enough room for the data: add whole groups until there is. Like resize2fs,
        // groups past the old last one but inside the flex group already counted are not
        // added to `beforeLast`; that overestimates small flex_bg filesystems, and matching
        // resize2fs matters more here than a tighter figure.
        while dataNeeded > dataBlocks {
            let extra = (dataNeeded - dataBlocks + blocksPerGroup - 1) / blocksPerGroup
            dataBlocks += extra * blocksPerGroup
            // The group that was last is now a full one the data can fill.
            let formerLast = try overhead(ofGroup: groups - 1)
            beforeLast += blocksPerGroup - min(blocksPerGroup, formerLast)
            let alreadyCounted = flexGroups
            groups += extra
            if !hasFlexBG || groups > flexGroups { flexGroups = flexEnd(covering: groups) }
            try spendOverhead(
                of: alreadyCounted..<max(alreadyCounted, flexGroups), groups: groups,
                room: &dataBlocks, beforeLast: &beforeLast)
        }

        var blocks = try lastGroupsSize(
            groups: groups, flexGroups: flexGroups, dataNeeded: dataNeeded, beforeLast: beforeLast)
        // Never cut into the inode table of the last kept group: with flex_bg it sits where
        // the flex group packed it, which can be past the size reckoned so far.
        if groups - 1 < groupCount {
            let tableEnd =
                UInt64(ext2fs_inode_table_loc(fs, dgrp_t(groups - 1)))
                + UInt64(fs.pointee.inode_blocks_per_group)
            blocks = max(blocks, tableEnd)
        }
        if blocks >= blockCount { return blockCount }
        return blocks + extentSlack(blocks: blocks, dataNeeded: dataNeeded, usedInodes: usedInodes)
    }

    /// Inodes in use, including the reserved ones (they are not counted free).
    private var usedInodeCount: UInt64 {
        let sb = fs.pointee.super.pointee
        return UInt64(sb.s_inodes_count) - min(UInt64(sb.s_free_inodes_count), UInt64(sb.s_inodes_count))
    }

    /// Blocks holding file data, directories, the journal and such: everything used that is
    /// not per-group metadata. Nil when the group counters do not add up (resize2fs then
    /// gives the current size as the minimum).
    private func dataBlocksInUse() throws(ExtFSError) -> UInt64? {
        var needed = blockCount
        for group in 0..<groupCount {
            let free = min(UInt64(ext2fs_bg_free_blocks_count(fs, dgrp_t(group))), blocksPerGroup)
            let notData = try free + overhead(ofGroup: group)
            guard needed >= notData else { return nil }
            needed -= notData
        }
        return needed
    }

    /// Takes the metadata of `range` out of the data room, and adds what the groups before
    /// the last of `groups` can store to `beforeLast`.
    private func spendOverhead(
        of range: Range<UInt64>, groups: UInt64, room: inout UInt64, beforeLast: inout UInt64
    ) throws(ExtFSError) {
        for group in range {
            let cost = try overhead(ofGroup: group)
            if group < groups - 1 { beforeLast += blocksPerGroup - min(blocksPerGroup, cost) }
            room -= min(room, cost)
        }
    }

    /// The first group past the flex group holding group `groups - 1`, so that a whole flex
    /// group's inode tables and bitmaps are budgeted: with flex_bg they are packed at the
    /// start of the flex group, and the shrink must be able to place them all. Always moves
    /// at least one group on, like resize2fs, and stops at the groups the filesystem has.
    private func flexEnd(covering groups: UInt64) -> UInt64 {
        guard hasFlexBG else { return groups }
        return min(groups + flexSize - groups % flexSize, groupCount)
    }

    /// The size before the extent slack: every full group before the last, then the last
    /// group holding its metadata and the data that did not fit earlier (at least 50 blocks,
    /// the least resize2fs and mke2fs think worth a group), plus the blocks before group 0.
    private func lastGroupsSize(
        groups: UInt64, flexGroups: UInt64, dataNeeded: UInt64, beforeLast: UInt64
    ) throws(ExtFSError) -> UInt64 {
        // With flex_bg inside the first flex group, the metadata of every group up to the
        // flex boundary is packed together, so all of it counts as the last group's.
        var first = groups - 1
        if hasFlexBG && first < flexSize { first = 0 }
        var tail: UInt64 = 0
        for group in first..<max(first, flexGroups) { tail += try overhead(ofGroup: group) }
        tail += max(dataNeeded - min(dataNeeded, beforeLast), 50)
        tail += UInt64(fs.pointee.super.pointee.s_first_data_block)
        // bigalloc allocates whole clusters: leave two spare.
        let clusterRatio = UInt64(1) << UInt64(fs.pointee.cluster_ratio_bits)
        if clusterRatio > 1 { tail += 2 * clusterRatio }
        return (groups - 1) * blocksPerGroup + tail
    }

    /// Spare blocks for extent trees to grow while blocks move: each moved extent may split,
    /// worst case one extent per data block, and every inode may need a new extent block.
    /// Capped at 0.2% of what the shrink frees.
    private func extentSlack(blocks: UInt64, dataNeeded: UInt64, usedInodes: UInt64) -> UInt64 {
        guard xen2kvm_has_feature_extents(fs) != 0 else { return 0 }
        // An extent block holds a 12-byte header plus 12-byte entries.
        let extentsPerBlock = UInt64(fs.pointee.blocksize) / 12 - 1
        let worstCase = max((dataNeeded + extentsPerBlock - 1) / extentsPerBlock, usedInodes)
        return min((blockCount - blocks) / 500, worstCase)
    }

    /// Blocks of per-group metadata in `group`: its inode table and two bitmaps, plus a
    /// superblock (always in group 0) and descriptor blocks where it holds a backup.
    /// With flex_bg the tables and bitmaps sit elsewhere, but the total is the same.
    private func overhead(ofGroup group: UInt64) throws(ExtFSError) -> UInt64 {
        var superBlock: blk64_t = 0
        var oldDescriptor: blk64_t = 0
        var newDescriptor: blk64_t = 0
        let code = ext2fs_super_and_bgd_loc2(
            fs, dgrp_t(truncatingIfNeeded: group), &superBlock, &oldDescriptor, &newDescriptor, nil)
        guard code == 0 else {
            throw .libext2fs(operation: "locating the superblock backups of \(path)", code: Int(code))
        }
        var blocks = UInt64(fs.pointee.inode_blocks_per_group) + 2
        if group == 0 || superBlock != 0 { blocks += 1 }
        if oldDescriptor != 0 {
            blocks += oldDescriptorBlocks
        } else if newDescriptor != 0 {
            blocks += 1  // meta_bg: one descriptor block in this group
        }
        return blocks
    }
}
