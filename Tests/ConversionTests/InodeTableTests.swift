import Conversion
import ExtFS
import Foundation
import TestSupport
import Testing

/// Inode-table blocks no inode uses are never read from the source: a new file reads them as
/// zeros already, any other target has them zeroed. Everything else used is copied.
@Suite struct InodeTableTests {
    enum Target: String, CaseIterable, CustomStringConvertible {
        case newFile, oldDataFile, oldDataDevice
        var description: String { rawValue }
    }

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

    /// A hash of the used blocks other than the unused inode-table ones.
    static func hashOfUsedData(_ image: String, offset: UInt64 = 0) throws -> Int {
        let fs = try ExtFilesystem(path: image, offset: offset)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
        defer { try? handle.close() }
        var hasher = Hasher()
        for run in try fs.usedBlockRuns(leavingOutUnusedInodeTables: true) {
            try handle.seek(toOffset: offset + run.lowerBound * UInt64(fs.blockSize))
            hasher.combine(try handle.read(upToCount: run.count * fs.blockSize))
        }
        return hasher.finalize()
    }

    @Test(arguments: Target.allCases)
    func unusedInodeTableBlocksAreZeroAndTheRestIsCopied(target kind: Target) async throws {
        guard
            TestEnvironment.require(root: kind == .oldDataDevice, tools: ["mke2fs", "e2fsck", "losetup"])
        else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.livedSource(dir)
        let fs = try ExtFilesystem(path: source)
        let unused = fs.unusedInodeTableRuns()
        #expect(!unused.isEmpty)
        let unusedBytes = unused.reduce(0) { $0 + UInt64($1.count) } * UInt64(fs.blockSize)

        let target = dir.file("kvm.img")
        if kind != .newFile { try Harness.filledFile(target, bytes: 80 << 20, value: 0xAA) }
        let (plan, result) =
            kind == .oldDataDevice
            ? try await Harness.withLoopDevice(target) { try await Harness.convert(source, $0) }
            : try await Harness.convert(source, target)
        let layout = try #require(plan.layout)
        #expect(result.fsck?.clean == true, "\(result.fsck?.output ?? "no fsck")")
        #expect(result.bytesCopied == plan.bytesToCopy - unusedBytes)
        let fsck = try await Harness.fsck(target, offset: layout.partitionOffsetBytes)
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        #expect(
            try guestTreeFingerprint(target, offset: layout.partitionOffsetBytes) == guestTreeFingerprint(source))
        #expect(try Self.hashOfUsedData(target, offset: layout.partitionOffsetBytes) == Self.hashOfUsedData(source))
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: target))
        defer { try? handle.close() }
        for run in unused {
            try handle.seek(toOffset: layout.partitionOffsetBytes + run.lowerBound * UInt64(fs.blockSize))
            let data = try handle.read(upToCount: run.count * fs.blockSize) ?? Data()
            #expect(data.allSatisfy { $0 == 0 }, "blocks \(run) are not zero")
        }
    }
}
