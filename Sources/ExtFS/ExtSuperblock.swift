import SystemPackage

/// The few fields of an ext2/3/4 superblock that xen2kvm needs about a filesystem it does not
/// parse (the guest session's partition, a copy not yet checked), read by fixed offsets from
/// one 1024-byte block: no libext2fs, nothing a damaged image can make crash or loop.
public struct ExtSuperblock: Sendable, Equatable {
    public var uuid: String
    public var hasJournal: Bool
    public var hasMMP: Bool

    /// The superblock 1024 bytes past `offset` in `path`; nil when it is not an ext one (no
    /// magic) or cannot be read.
    public static func read(_ path: String, offset: UInt64 = 0) -> ExtSuperblock? {
        guard let fd = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec]) else { return nil }
        defer { try? fd.close() }
        var block = [UInt8](repeating: 0, count: 1024)
        guard
            let count = try? block.withUnsafeMutableBytes({
                try fd.read(fromAbsoluteOffset: Int64(offset + 1024), into: $0)
            }),
            count == block.count
        else { return nil }
        return ExtSuperblock(block)
    }

    /// From the 1024 bytes of a superblock: s_magic (le16 at 56), s_feature_compat (le32 at
    /// 92: has_journal 0x4), s_feature_incompat (le32 at 96: mmp 0x100), s_uuid (16 bytes at 104).
    init?(_ block: [UInt8]) {
        guard block.count == 1024 else { return nil }
        func le32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(block[at + $1]) << (8 * $1) } }
        guard block[56] == 0x53, block[57] == 0xEF else { return nil }
        hasJournal = le32(92) & 0x4 != 0
        hasMMP = le32(96) & 0x100 != 0
        let hex = block[104..<120].map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }
        uuid = [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(
            separator: "-")
    }
}
