import Foundation
import TestSupport
import Testing

/// Every kind of bad source gives a clear message and exit 1 — never a trap or a signal.
@Suite struct BadInputTests {
    enum Damage: String, CaseIterable {
        case missing, empty, truncated, zeroedSuperblock, superblockChecksum, randomBytes, swapSignature
    }

    static func make(_ damage: Damage, in dir: TemporaryDirectory) async throws -> String {
        let image = dir.file("\(damage.rawValue).img")
        switch damage {
        case .missing:
            return dir.file("does-not-exist.img")
        case .empty:
            _ = FileManager.default.createFile(atPath: image, contents: Data())
        case .truncated, .zeroedSuperblock:
            try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: image, size: "64M")
            if damage == .truncated {
                #expect(truncate(image, 5 << 20) == 0)
            } else {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
                try handle.seek(toOffset: 1024)
                try handle.write(contentsOf: Data(count: 1024))
                try handle.close()
            }
        case .superblockChecksum:
            // ext4 with metadata_csum (mke2fs's default): one byte of s_checksum (superblock
            // offset 0x3FC) changed, so libext2fs refuses the superblock with code 152.
            try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: image, size: "64M")
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: image))
            try handle.seek(toOffset: 1024 + 0x3FC)
            let byte = try handle.read(upToCount: 1) ?? Data([0])
            try handle.seek(toOffset: 1024 + 0x3FC)
            try handle.write(contentsOf: Data([byte[0] ^ 0xFF]))
            try handle.close()
        case .randomBytes:
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = FileManager.default.createFile(atPath: image, contents: Data(bytes))
        case .swapSignature:
            _ = FileManager.default.createFile(atPath: image, contents: Data(count: 8 << 20))
            try await Command.check("mkswap", [image])
        }
        return image
    }

    static let expectedWords: [Damage: String] = [
        .missing: "No such file", .empty: "is empty", .truncated: "truncated",
        .zeroedSuperblock: "does not hold an ext2/ext3/ext4",
        .superblockChecksum: "damaged (Superblock checksum does not match superblock)",
        .randomBytes: "does not hold an ext2/ext3/ext4",
        .swapSignature: "holds swap",
    ]

    /// A damaged superblock reads the same in convert as in inspect, in words.
    @Test(.requires(tools: ["mke2fs"]))
    func convertNamesABadSuperblockChecksum() async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.make(.superblockChecksum, in: dir)
        let result = try await Xen2KVMBinary.run(["convert", "--no-fix", image, dir.file("kvm.img")])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(Self.expectedWords[.superblockChecksum]!), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("kvm.img")))
    }

    @Test(.requires(tools: ["mke2fs", "mkswap"]), arguments: Damage.allCases)
    func badSourceIsRefusedClearly(damage: Damage) async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.make(damage, in: dir)
        for arguments in [["inspect", image], ["inspect", "--json", image]] {
            let result = try await Xen2KVMBinary.run(arguments)
            #expect(result.status == 1, "\(damage): exit \(result.status) \(result.stderr)")
            #expect(result.stderr.hasPrefix("xen2kvm: "))
            #expect(result.stderr.contains(Self.expectedWords[damage]!), "\(damage): \(result.stderr)")
            // libext2fs's codes in words: its com_err table is registered.
            #expect(!result.stderr.contains("Unknown code"), "\(damage): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
