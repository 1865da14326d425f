import Conversion
import ExtFS
import Foundation
import TestSupport
import Testing

/// Inode-table blocks no inode uses and the log of a clean journal are never read from the
/// source: a new file reads them as zeros already, any other target has them zeroed.
/// Everything else used is copied.
@Suite struct InodeTableTests {
    enum Target: String, CaseIterable, CustomStringConvertible {
        case newFile, oldDataFile, oldDataDevice
        var description: String { rawValue }
    }

    /// A volume that has lived: random bytes first, then mke2fs without discard and with lazy
    /// inode-table and journal init, so the unused inode-table blocks and the journal's log
    /// hold stale bytes, not zeros.
    static func livedSource(_ dir: TemporaryDirectory) async throws -> String {
        let source = dir.file("lived.img")
        try Harness.randomBytes(64 << 20).write(to: URL(fileURLWithPath: source))
        try await Command.check(
            "mke2fs",
            [
                "-q", "-F", "-t", "ext4", "-E", "nodiscard,lazy_itable_init=1,lazy_journal_init=1", "-d",
                Harness.sampleTree(in: dir), source,
            ])
        return source
    }

    /// A hash of the used blocks other than the unused inode-table and journal-log ones.
    static func hashOfUsedData(_ image: String, offset: UInt64 = 0) throws -> Int {
        let fs = try ExtFilesystem(path: image, offset: offset)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
        defer { try? handle.close() }
        var hasher = Hasher()
        for run in try fs.usedBlockRuns(leavingOutUnneeded: true) {
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
        let unused = fs.unneededBlockRuns()
        let journalLog = fs.inactiveJournalRuns()
        #expect(!fs.unusedInodeTableRuns().isEmpty)
        #expect(
            journalLog.reduce(0) { $0 + $1.count } == 4096 - 1, "a 4 MiB journal of 1 KiB blocks, less its superblock")
        let unusedBytes = unused.reduce(0) { $0 + UInt64($1.count) } * UInt64(fs.blockSize)

        let target = dir.file("kvm.img")
        if kind != .newFile { try Harness.filledFile(target, bytes: 80 << 20, value: 0xAA) }
        let (plan, result) =
            kind == .oldDataDevice
            ? try await Harness.withLoopDevice(target) { try await Harness.convert(source, $0) }
            : try await Harness.convert(source, target)
        let layout = try #require(plan.layout)
        #expect(result.fsck?.clean == true, "\(result.fsck?.output ?? "no fsck")")
        #expect(result.bytesCopied == plan.bytesToCopy)
        #expect(plan.bytesToCopy == plan.source.usedBytes! - unusedBytes)
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
        if kind == .newFile { try await Self.journalStillWorks(target, offset: layout.partitionOffsetBytes) }
    }

    /// The copy's journal takes transactions: mounted, written to, unmounted, fsck-clean.
    static func journalStillWorks(_ image: String, offset: UInt64) async throws {
        guard TestEnvironment.require(root: true, tools: ["mount", "e2fsck"]) else { return }
        let dir = try TemporaryDirectory()
        try await Harness.withMount(image, options: "loop,offset=\(offset)", in: dir) { point in
            try Harness.randomBytes(1 << 20).write(to: URL(fileURLWithPath: "\(point)/after-conversion.bin"))
            try await Command.check("sync", ["-f", point])
        }
        let fsck = try await Harness.fsck(image, offset: offset)
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    }

    /// A journal with a log to replay is never left out: not when the superblock says the
    /// journal needs recovery, and not when the journal's own superblock has a log start.
    @Test(.requires(tools: ["mke2fs", "debugfs", "dd"]))
    func aJournalToReplayIsCopied() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("journal.img")
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", image, "32M"])
        #expect(!(try ExtFilesystem(path: image).inactiveJournalRuns().isEmpty))

        let recovering = dir.file("recovering.img")
        try FileManager.default.copyItem(atPath: image, toPath: recovering)
        try await Command.check("debugfs", ["-w", "-R", "feature needs_recovery", recovering])
        #expect(try ExtFilesystem(path: recovering).inactiveJournalRuns().isEmpty)

        // s_start (big-endian, byte 28 of the journal superblock) set to 1.
        let started = dir.file("started.img")
        try FileManager.default.copyItem(atPath: image, toPath: started)
        let fs = try ExtFilesystem(path: started)
        let bmap = try await Command.check("debugfs", ["-R", "bmap <8> 0", started]).stdout
        let block = try #require(UInt64(bmap.trimmingCharacters(in: .whitespacesAndNewlines)))
        let offset = block * UInt64(fs.blockSize) + 28
        try await Command.check(
            "sh",
            [
                "-c", "printf '\\000\\000\\000\\001' | dd of=\"$0\" bs=1 seek=\(offset) conv=notrunc status=none",
                started,
            ])
        #expect(try ExtFilesystem(path: started).inactiveJournalRuns().isEmpty)
    }
}
