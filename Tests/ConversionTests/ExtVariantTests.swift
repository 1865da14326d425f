import Conversion
import ExtFS
import Foundation
import TestSupport
import Testing

/// The blocks path on the ext variants real Xen guests carry, from RHEL 5's ext3 with 128-byte
/// inodes to ext4 with bigalloc or inline data. Each feature moves metadata somewhere else
/// (1 KiB blocks, no flex_bg, meta_bg descriptors, uninitialised groups, clusters, an MMP
/// block), and a block copy is only right if the bitmaps name all of it. Each copy must pass
/// e2fsck and hold exactly the source's used blocks, byte for byte.
@Suite struct ExtVariantTests {
    struct Variant: Sendable, CustomStringConvertible {
        var options: [String]
        /// A feature the image must show, proving mke2fs made the variant asked for.
        var feature: String?
        var type: String
        var description: String { options.joined(separator: " ") }
    }

    static let variants: [Variant] = [
        Variant(options: ["-t", "ext2", "-b", "1024"], feature: nil, type: "ext2"),
        Variant(options: ["-t", "ext3", "-I", "128"], feature: "has_journal", type: "ext3"),
        Variant(options: ["-t", "ext4"], feature: "extent", type: "ext4"),
        Variant(options: ["-t", "ext4", "-O", "^64bit,^metadata_csum"], feature: "flex_bg", type: "ext4"),
        Variant(options: ["-t", "ext4", "-O", "^flex_bg"], feature: "extent", type: "ext4"),
        // uninit_bg and metadata_csum exclude each other: the older group checksums.
        Variant(options: ["-t", "ext4", "-O", "uninit_bg,^metadata_csum"], feature: "uninit_bg", type: "ext4"),
        Variant(options: ["-t", "ext4", "-O", "meta_bg,^resize_inode"], feature: "meta_bg", type: "ext4"),
        Variant(options: ["-t", "ext4", "-O", "bigalloc", "-C", "65536"], feature: "bigalloc", type: "ext4"),
        Variant(options: ["-t", "ext4", "-O", "inline_data"], feature: "inline_data", type: "ext4"),
        Variant(options: ["-t", "ext4", "-O", "mmp"], feature: "mmp", type: "ext4"),
    ]

    @Test(arguments: variants)
    func blocksCopyIsCleanAndIdentical(variant: Variant) async throws {
        // e2fsck of an mmp filesystem inside a disk goes through an offset loop device.
        let needsRoot = variant.feature == "mmp"
        guard TestEnvironment.require(root: needsRoot, tools: ["mke2fs", "e2fsck", "losetup"]) else { return }
        let dir = try TemporaryDirectory()
        let tree = try Harness.sampleTree(in: dir)
        let source = dir.file("source.img")
        try await Harness.makeImage(from: tree, at: source, options: variant.options, size: "48M")
        let facts = try ExtFilesystem(path: source).facts()
        #expect(facts.type == variant.type)
        if let feature = variant.feature { #expect(facts.features.contains(feature), "\(facts.features)") }
        if variant.options.contains("-b") { #expect(facts.blockSize == 1024) }
        let before = try await sha256(source)

        let target = dir.file("kvm.img")
        let (plan, result) = try await Harness.convert(source, target) {
            $0.table = .mbr
            $0.start = 2048
        }
        #expect(plan.method == .blocks)
        #expect(result.fsck?.clean == true, "\(result.fsck?.output ?? "no fsck")")
        let layout = try #require(plan.layout)

        let fsck = try await Harness.fsck(target, offset: layout.partitionOffsetBytes, length: layout.partitionBytes)
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")

        let original = try Harness.usedData(image: source)
        let copy = try Harness.usedData(image: target, offset: layout.partitionOffsetBytes)
        #expect(copy.runs == original.runs)
        #expect(copy.bytes == original.bytes)
        #expect(copy.hash == original.hash, "copy \(copy) vs source \(original)")
        // The used-block data is what the superblock counts as used, no more, no less.
        #expect(original.bytes == facts.usedBytes)
        // And every file reads back the same through the copy.
        #expect(
            try guestTreeFingerprint(target, offset: layout.partitionOffsetBytes) == guestTreeFingerprint(source))
        #expect(try await sha256(source) == before)
    }
}
