import SystemPackage

/// The size of a bare XFS filesystem, from its primary superblock (big-endian, at byte 0):
/// magic "XFSB", `sb_blocksize` (u32 at 4), `sb_dblocks` (u64 at 8). libblkid names the type
/// but not the size, and xen2kvm has no XFS library: these three fields are all it needs.
enum XFSSuperblock {
    static func filesystemBytes(_ path: String) -> UInt64? {
        guard let fd = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec]) else { return nil }
        defer { try? fd.close() }
        var header = [UInt8](repeating: 0, count: 16)
        let read = (try? header.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: 0, into: $0) }) ?? 0
        guard read == 16, Array(header[0..<4]) == Array("XFSB".utf8) else { return nil }
        func bigEndian(_ range: Range<Int>) -> UInt64 { header[range].reduce(0) { $0 << 8 | UInt64($1) } }
        let blockSize = bigEndian(4..<8)
        let blocks = bigEndian(8..<16)
        guard blockSize >= 512, blockSize <= 65536, blocks > 0 else { return nil }
        let (bytes, overflow) = blocks.multipliedReportingOverflow(by: blockSize)
        return overflow ? nil : bytes
    }
}
