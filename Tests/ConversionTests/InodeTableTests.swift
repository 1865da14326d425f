import Conversion
import ExtFS
import Foundation
import TestSupport
import Testing

/// Inode-table blocks no inode uses are left out of a copy into a new file (which reads them
/// as zeros), as e2image does, and copied into any target that holds old data.
@Suite struct InodeTableTests {
    /// A volume that has lived: random bytes first, then mke2fs without discard and with lazy
    /// inode-table init, so the unused inode-table blocks hold stale bytes, not zeros.
    static func livedSource(_ dir: TemporaryDirectory) async throws -> String {
        let source = dir.file("lived.img")
        try Harness.randomBytes(64 << 20).write(to: URL(fileURLWithPath: source))
        try await Command.check(
            "mke2fs",
            ["-q", "-F", "-t", "ext4", "-E", "nodiscard,lazy_itable_init=1", "-d", Harness.sampleTree(in: dir), source])
        return source
    }

    @Test func newFileGetsNoUnusedInodeTableBlocks() async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "e2fsck"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.livedSource(dir)
        let fs = try ExtFilesystem(path: source)
        let unused = fs.unusedInodeTableRuns()
        #expect(!unused.isEmpty)
        let unusedBytes = unused.reduce(0) { $0 + UInt64($1.count) } * UInt64(fs.blockSize)

        let target = dir.file("kvm.img")
        let (plan, result) = try await Harness.convert(source, target)
        let layout = try #require(plan.layout)
        #expect(result.fsck?.clean == true, "\(result.fsck?.output ?? "no fsck")")
        #expect(result.bytesCopied == plan.bytesToCopy - unusedBytes)
        let fsck = try await Harness.fsck(target, offset: layout.partitionOffsetBytes)
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        #expect(
            try guestTreeFingerprint(target, offset: layout.partitionOffsetBytes) == guestTreeFingerprint(source))
        // The left-out blocks read as zeros in the copy.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: target))
        defer { try? handle.close() }
        for run in unused {
            try handle.seek(toOffset: layout.partitionOffsetBytes + run.lowerBound * UInt64(fs.blockSize))
            let data = try handle.read(upToCount: run.count * fs.blockSize) ?? Data()
            #expect(data.allSatisfy { $0 == 0 })
        }
    }

    @Test func targetWithOldDataGetsEveryUsedBlock() async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "e2fsck"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.livedSource(dir)
        let target = dir.file("old.img")
        try Harness.filledFile(target, bytes: 80 << 20, value: 0xAA)

        let (plan, result) = try await Harness.convert(source, target)
        let layout = try #require(plan.layout)
        #expect(result.fsck?.clean == true, "\(result.fsck?.output ?? "no fsck")")
        #expect(result.bytesCopied == plan.bytesToCopy)
        let original = try Harness.usedData(image: source)
        let copy = try Harness.usedData(image: target, offset: layout.partitionOffsetBytes)
        #expect(copy.hash == original.hash)
    }
}
