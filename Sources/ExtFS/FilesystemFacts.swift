import CExt2fs

/// What the superblock says about a filesystem, in the terms an operator reads.
public struct FilesystemFacts: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Cleanly unmounted and no errors recorded.
        case clean
        /// Not cleanly unmounted, errors recorded, or a journal to replay: fsck first.
        case needsFsck
    }

    /// "ext2", "ext3" or "ext4", decided from the features like blkid does.
    public var type: String
    public var uuid: String
    public var label: String
    public var blockSize: Int
    public var blockCount: UInt64
    public var freeBlocks: UInt64
    public var usedBytes: UInt64
    public var freeBytes: UInt64
    public var sizeBytes: UInt64
    public var inodeCount: UInt32
    public var freeInodes: UInt32
    public var inodeSize: Int
    public var features: [String]
    public var state: State
    /// Why the state is `needsFsck`, empty when clean.
    public var stateReasons: [String]
    public var hasJournal: Bool
    public var lastMountPoint: String
    public var lastMountTime: UInt64
    public var mountCount: Int
    public var maxMountCount: Int
}

extension ExtFilesystem {
    public func facts() -> FilesystemFacts {
        let sb = fs.pointee.super.pointee
        let blockSize = Int(fs.pointee.blocksize)
        let total = blockCount
        let free = freeBlockCount
        let features = featureNames(sb)

        var reasons: [String] = []
        if sb.s_state & UInt16(EXT2_VALID_FS) == 0 { reasons.append("not cleanly unmounted") }
        if sb.s_state & UInt16(EXT2_ERROR_FS) != 0 { reasons.append("errors recorded") }
        if xen2kvm_has_feature_needs_recovery(fs) != 0 { reasons.append("journal needs recovery") }
        if UInt64(xen2kvm_free_blocks_count(fs)) > total {
            reasons.append("the superblock counts more free blocks than the filesystem has")
        }
        // A superblock marked clean over descriptors that place a bitmap or inode table outside
        // its group, or two of them on one block, is not clean: its bitmaps cannot be trusted.
        let descriptors = ext2fs_check_desc(fs)
        if descriptors != 0 {
            reasons.append("group descriptors damaged (\(ExtFSError.message(for: Int(descriptors))))")
        }

        return FilesystemFacts(
            type: Self.typeName(features: Set(features)),
            uuid: Self.uuidString(sb.s_uuid),
            label: Self.fixedString(sb.s_volume_name),
            blockSize: blockSize,
            blockCount: total,
            freeBlocks: free,
            usedBytes: (total - free) * UInt64(blockSize),
            freeBytes: free * UInt64(blockSize),
            sizeBytes: total * UInt64(blockSize),
            inodeCount: sb.s_inodes_count,
            freeInodes: sb.s_free_inodes_count,
            inodeSize: Int(sb.s_rev_level == 0 ? 128 : sb.s_inode_size),
            features: features,
            state: reasons.isEmpty ? .clean : .needsFsck,
            stateReasons: reasons,
            hasJournal: xen2kvm_has_feature_journal(fs) != 0,
            lastMountPoint: Self.fixedString(sb.s_last_mounted),
            lastMountTime: UInt64(sb.s_mtime) | (UInt64(sb.s_mtime_hi) << 32),
            mountCount: Int(sb.s_mnt_count),
            maxMountCount: Int(sb.s_max_mnt_count))
    }

    /// Feature names as e2fsprogs spells them (dumpe2fs, mke2fs -O).
    private func featureNames(_ sb: ext2_super_block) -> [String] {
        let sets: [(Int32, UInt32)] = [
            (Int32(E2P_FEATURE_COMPAT), sb.s_feature_compat),
            (Int32(E2P_FEATURE_INCOMPAT), sb.s_feature_incompat),
            (Int32(E2P_FEATURE_RO_INCOMPAT), sb.s_feature_ro_compat),
        ]
        var names: [String] = []
        for (kind, mask) in sets {
            for bit in 0..<32 where mask & (1 << UInt32(bit)) != 0 {
                if let name = e2p_feature2string(kind, 1 << UInt32(bit)) {
                    names.append(String(cString: name))
                }
            }
        }
        return names
    }

    /// blkid's rule: a journal makes ext3; features ext3 lacks make ext4.
    static func typeName(features: Set<String>) -> String {
        let ext4Only: Set<String> = [
            "extent", "flex_bg", "64bit", "huge_file", "dir_nlink", "extra_isize", "metadata_csum",
            "uninit_bg", "mmp", "inline_data", "bigalloc", "encrypt", "casefold", "large_dir", "ea_inode",
            "csum_seed", "project", "quota",
        ]
        if !features.isDisjoint(with: ext4Only) { return "ext4" }
        return features.contains("has_journal") ? "ext3" : "ext2"
    }

    static func uuidString<T>(_ tuple: T) -> String {
        let bytes = withUnsafeBytes(of: tuple) { Array($0) }
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex.dropFirst(range.lowerBound).prefix(range.count))
        }
        return parts.joined(separator: "-")
    }

    /// Superblock text fields are fixed-size and NUL-padded, possibly without a NUL.
    static func fixedString<T>(_ tuple: T) -> String {
        let bytes = withUnsafeBytes(of: tuple) { Array($0) }
        let text = bytes.prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }
}
