import Foundation
import TestSupport
import Testing

/// Each damage the corpus found mishandled (a trap, a hang, a huge allocation), rebuilt by a
/// small deterministic builder: a corpus image with one write at a named structure.
@Suite struct HostileImageRegressionTests {
    enum Regression: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// The initrd's first cpio header with the size field "-0000080": the next header was
        /// looked for before the archive (index out of range).
        case cpioNegativeSize = "cpio-negative-size"
        /// "-0000078": the first entry's next header was the entry itself, for ever.
        case cpioSizeLoop = "cpio-size-loop"
        /// s_free_blocks_hi 0xFFFFFFFF on a 64bit ext4: the free bytes overflowed (a trap).
        case freeBlocksHighWord = "free-blocks-high-word"
        /// The initrd's i_size 512 MiB - 1 over its 44 KiB of blocks: read as 512 MiB of zeros
        /// (1 GiB resident, seconds in the zero-skipping loop).
        case inflatedInitrdSize = "inflated-initrd-size"

        var testDescription: String { rawValue }

        /// The corpus image, the region and the offset in it, and the bytes written there.
        var damage: (variant: CorpusImage.Variant, region: String, offset: Int, bytes: [UInt8]) {
            let debianExt4 = CorpusImage.variants[2]
            let debianExt2 = CorpusImage.variants[3]
            let initrd = CorpusImage.Guest.debian12.initrd
            switch self {
            case .cpioNegativeSize: return (debianExt2, "data \(initrd)", 6 + 8 * 6, Array("-0000080".utf8))
            case .cpioSizeLoop: return (debianExt2, "data \(initrd)", 6 + 8 * 6, Array("-0000078".utf8))
            case .freeBlocksHighWord: return (debianExt4, "superblock", 0x158, [0xFF, 0xFF, 0xFF, 0xFF])
            case .inflatedInitrdSize: return (debianExt4, "inode \(initrd)", 4, [0xFF, 0xFF, 0xFF, 0x1F])
            }
        }

        /// What `inspect --json` says about the damage instead.
        var reported: String {
            switch self {
            case .cpioNegativeSize, .cpioSizeLoop: return "cpio header at byte 0 is damaged"
            case .freeBlocksHighWord: return "the superblock counts more free blocks than the filesystem has"
            case .inflatedInitrdSize: return "is 536870911 bytes long but has blocks for"
            }
        }
    }

    @Test(.requires(tools: ["mke2fs", "debugfs", "dumpe2fs", "timeout", "sha256sum"]), arguments: Regression.allCases)
    func damageIsHandled(_ regression: Regression) async throws {
        let dir = try TemporaryDirectory()
        let damage = regression.damage
        let base = try await CorpusImage.build(damage.variant, in: dir)
        let region = try #require(base.regions.first { $0.name == damage.region }, "\(base.regions.map(\.name))")
        let edit = DamageCase.Edit(
            offset: region.ranges[0].lowerBound + damage.offset, bytes: damage.bytes, what: regression.rawValue)
        let image = dir.file("\(regression.rawValue).img")
        let bytes = DamageCase(number: 0, image: base.name, edits: [edit], truncation: nil).apply(to: base.bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: image))

        let outcome = try await HostileImage.run(on: image, in: dir)
        #expect(outcome.problems.isEmpty, "\(outcome.problems)")
        #expect(outcome.report.contains(regression.reported), "\(outcome.report)")
    }
}
