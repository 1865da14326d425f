import Conversion
import Foundation
import TestSupport
import Testing

/// Already partitioned or non-Linux disks are copied as they are.
@Suite struct CloneMethodTests {
    /// A disk with an MBR and an ext4 partition at 1 MiB, like a converted or HVM guest.
    static func partitionedDisk(_ dir: TemporaryDirectory) async throws -> String {
        let image = dir.file("partitioned.img")
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        #expect(truncate(image, 72 << 20) == 0)
        try await Command.check("sh", ["-c", "echo 'start=2048, size=131072, type=83' | sfdisk -q \(image)"])
        try await Fixtures.makeImage(
            from: Fixtures.tree("debian12-grub2"), at: image, size: "65536", extraOptions: ["-E", "offset=1048576"])
        return image
    }

    @Test func partitionedSourceIsClonedByteForByte() async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "sfdisk", "cmp"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.partitionedDisk(dir)
        let target = dir.file("clone.img")
        let (plan, result) = try await Harness.convert(source, target)
        #expect(plan.method == .clone)
        #expect(plan.layout == nil)
        #expect(result.bytesCopied == plan.bytesToCopy)
        let compare = try await Command.run("cmp", [source, target])
        #expect(compare.status == 0, "\(compare.stdout)")
        #expect(Harness.allocatedBytes(target) <= Harness.allocatedBytes(source) + (1 << 20), "not sparse")
    }

    /// Anything libblkid knows that is neither a bare ext filesystem nor swap (here a squashfs
    /// superblock) is copied as it is.
    @Test func otherContentIsCloned() async throws {
        guard TestEnvironment.require(tools: ["cmp"]) else { return }
        let dir = try TemporaryDirectory()
        let source = dir.file("squashfs.img")
        var superblock = Data()
        // magic, inodes, mkfs time, block size, fragments; compression, block log, flags, ids, 4.0
        for word: UInt32 in [0x7371_7368, 1, 0, 131_072, 0] {
            withUnsafeBytes(of: word.littleEndian) { superblock += $0 }
        }
        for half: UInt16 in [1, 17, 0, 1, 4, 0] { withUnsafeBytes(of: half.littleEndian) { superblock += $0 } }
        for long: UInt64 in [0, 4096] { withUnsafeBytes(of: long.littleEndian) { superblock += $0 } }
        superblock += Data(count: (4 << 20) - superblock.count)
        try superblock.write(to: URL(fileURLWithPath: source))
        let target = dir.file("clone.img")
        let (plan, _) = try await Harness.convert(source, target)
        #expect(plan.method == .clone)
        #expect(plan.methodReason.contains("squashfs"), "\(plan.methodReason)")
        #expect(try await Command.run("cmp", [source, target]).status == 0)
    }

    /// A swap area asked to be cloned is cloned (auto would make a new one in a partition).
    @Test func swapAreaClonedWhenAskedTo() async throws {
        guard TestEnvironment.require(tools: ["mkswap", "cmp"]) else { return }
        let dir = try TemporaryDirectory()
        let source = dir.file("swapdisk.img")
        _ = FileManager.default.createFile(atPath: source, contents: nil)
        #expect(truncate(source, 16 << 20) == 0)
        try await Command.check("mkswap", [source])
        let target = dir.file("clone.img")
        let (plan, _) = try await Harness.convert(source, target) { $0.method = .clone }
        #expect(plan.method == .clone && plan.layout == nil)
        #expect(try await Command.run("cmp", [source, target]).status == 0)
    }

    /// Into an existing, bigger file full of old data: every byte of the source's extent
    /// matches, holes included (the old data there is overwritten).
    @Test func cloneOverOldDataZeroFillsTheHoles() async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "sfdisk", "cmp"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.partitionedDisk(dir)
        let target = dir.file("old.img")
        try Data(repeating: 0xAA, count: 80 << 20).write(to: URL(fileURLWithPath: target))
        let (plan, _) = try await Harness.convert(source, target) { $0.method = .clone }
        #expect(plan.target.kind == "existing file")
        let size = try FileManager.default.attributesOfItem(atPath: source)[.size] as? Int ?? 0
        let compare = try await Command.run("cmp", ["-n", "\(size)", source, target])
        #expect(compare.status == 0, "\(compare.stdout)")
    }
}
