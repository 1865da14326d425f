import Conversion
import Foundation
import TestSupport
import Testing

/// Disks that already have a table (an HVM guest, a disk converted before) or hold no ext
/// filesystem are copied as they are. A clone is right only if every byte of the source's
/// extent matches, holes included, and a new target stays as sparse as the source.
@Suite struct CloneTests {
    /// `cmp` of the first `bytes` bytes (all of both files when nil).
    static func sameBytes(_ a: String, _ b: String, bytes: UInt64? = nil) async throws -> CommandResult {
        try await Command.run("cmp", (bytes.map { ["-n", "\($0)"] } ?? []) + [a, b])
    }

    @Test(.requires(tools: ["mke2fs", "sfdisk", "cmp", "sha256sum"]), arguments: ["dos", "gpt"])
    func partitionedSourceIsClonedByteForByte(label: String) async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.partitionedDisk(in: dir, label: label)
        let before = try await sha256(source)
        let target = dir.file("clone.img")

        let (plan, result) = try await Harness.convert(source, target)
        // auto: an existing table is kept, not wrapped in a second one.
        #expect(plan.method == .clone)
        #expect(plan.methodReason.contains("already partitioned"), "\(plan.methodReason)")
        #expect(plan.layout == nil)
        #expect(result.method == .clone)
        #expect(result.fsck == nil)
        #expect(result.bytesCopied == plan.bytesToCopy)

        #expect(Harness.fileSize(target) == Harness.fileSize(source))
        let compare = try await Self.sameBytes(source, target)
        #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
        // Holes stay holes: the clone takes no more room than the source (plus a little for
        // 64 KiB write granularity).
        #expect(
            Harness.allocatedBytes(target) <= Harness.allocatedBytes(source) + (1 << 20),
            "clone allocates \(Harness.allocatedBytes(target)), source \(Harness.allocatedBytes(source))")
        #expect(Harness.allocatedBytes(target) < Harness.fileSize(target) / 2, "the clone is not sparse")
        #expect(try await sha256(source) == before)
    }

    /// A disk without any ext filesystem (here an MBR with a swap partition; mkfs.vfat is not on
    /// every host, and mkswap has no offset option, so the swap area is made apart and placed
    /// at sector 2048 with dd). auto clones it; so does the CLI.
    @Test(.requires(tools: ["sfdisk", "mkswap", "dd", "cmp"]))
    func nonLinuxFilesystemDiskIsCloned() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("swapdisk.img")
        try Harness.sparseFile(source, bytes: 40 << 20)
        try await Command.check("sh", ["-c", "echo 'start=2048, size=32768, type=82' | sfdisk -q \(source)"])
        let area = dir.file("swap.part")
        try Harness.sparseFile(area, bytes: 16 << 20)
        try await Command.check("mkswap", ["-q", area])
        try await Command.check(
            "dd", ["if=\(area)", "of=\(source)", "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none"])
        let probe = try await Harness.blkid(source)
        #expect(probe["PTTYPE"] == "dos", "\(probe)")

        let target = dir.file("clone.img")
        let (plan, _) = try await Harness.convert(source, target)
        #expect(plan.method == .clone)
        #expect(plan.source.filesystemType == nil)
        let compare = try await Self.sameBytes(source, target)
        #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
        #expect(Harness.allocatedBytes(target) <= Harness.allocatedBytes(source) + (1 << 20))

        let cliTarget = dir.file("clone-cli.img")
        let run = try await Xen2KVMBinary.run(["convert", "--json", source, cliTarget])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect((object?["result"] as? [String: Any])?["method"] as? String == "clone")
        #expect(try await Self.sameBytes(source, cliTarget).status == 0)
    }

    /// Anything libblkid knows that is neither a bare ext filesystem nor swap (here a squashfs
    /// superblock; an XFS or btrfs root the same) would be a disk that cannot boot: auto refuses
    /// it, saying what it found and that a data disk is copied with --method clone, which
    /// copies it as it is.
    @Test(.requires(tools: ["cmp"]))
    func otherContentIsClonedOnlyWhenAsked() async throws {
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
        let refused = try await Xen2KVMBinary.run(["convert", source, target])
        #expect(refused.status == 2, "\(refused.stderr)")
        for words in ["holds a bare squashfs", "cannot boot", "--method clone"] {
            #expect(refused.stderr.contains(words), "\(refused.stderr)")
        }
        #expect(!Harness.exists(target))
        let (plan, _) = try await Harness.convert(source, target) { $0.method = .clone }
        #expect(plan.method == .clone)
        #expect(try await Self.sameBytes(source, target).status == 0)
    }

    /// A bare XFS root (CentOS/RHEL 7's default) is not cloned into a disk that can never boot:
    /// auto wraps it, the whole filesystem into partition 1 of exactly its size, and the guest
    /// fixes follow. --method wrap is only for XFS.
    @Test(.requires(tools: ["mkfs.xfs", "mke2fs"]))
    func bareXFSIsWrappedIntoPartitionOne() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("xfs-root.img")
        try Harness.sparseFile(source, bytes: 320 << 20)
        try await Command.check("mkfs.xfs", ["-q", source])
        let plan = try Planner.plan(Harness.options(source, dir.file("kvm.img")))
        #expect(plan.method == .wrap, "\(plan.methodReason)")
        #expect(plan.layout?.partitionBytes == 320 << 20 && plan.layout?.partitionStart == 2048)
        #expect(plan.fixesGuest && plan.refusal == nil)
        #expect(plan.bytesToCopy > 0 && plan.bytesToCopy < 320 << 20, "holes are not read: \(plan.bytesToCopy)")

        let ext = try await Harness.fixtureImage(in: dir)
        let refused = try await Xen2KVMBinary.run(["convert", "--method", "wrap", ext, dir.file("ext.img")])
        #expect(refused.status == 2 && refused.stderr.contains("--method wrap puts a bare XFS"), "\(refused.stderr)")
    }

    /// A partitioned guest with a separate /boot in partition 1 (kernels at its top) and its root
    /// in partition 2, no boot code: xen2kvm cannot fix it yet, and a copy as it is would not
    /// boot, so convert refuses and inspect says why.
    @Test(.requires(tools: ["mke2fs", "sfdisk"]))
    func separateBootPartitionWithoutBootCodeIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let boot = dir.file("boot-tree")
        try FileManager.default.createDirectory(atPath: "\(boot)/grub", withIntermediateDirectories: true)
        try Data("kernel".utf8).write(to: URL(fileURLWithPath: "\(boot)/vmlinuz-6.1.0-26-amd64"))
        let source = dir.file("two-partitions.img")
        try Harness.sparseFile(source, bytes: 80 << 20)
        try await Command.check(
            "sh", ["-c", "printf 'start=2048, size=32768, type=83\\nstart=34816, type=83\\n' | sfdisk -q \(source)"])
        try await Fixtures.makeImage(from: boot, at: source, size: "16384", extraOptions: ["-E", "offset=1048576"])
        try await Fixtures.makeImage(
            from: Fixtures.tree("debian12-grub2"), at: source, size: "40960", extraOptions: ["-E", "offset=17825792"])

        let refused = try await Xen2KVMBinary.run(["convert", source, dir.file("kvm.img")])
        #expect(refused.status == 2 && refused.stderr.contains("holds only /boot"), "\(refused.stderr)")
        let inspected = try await Xen2KVMBinary.run(["inspect", source])
        #expect(inspected.stdout.contains("boot-partition-only"), "\(inspected.stdout)")
    }

    /// A bare swap area asked to be cloned is cloned as it is (auto would make a new one in a
    /// partition).
    @Test(.requires(tools: ["mkswap", "cmp"]))
    func swapAreaClonedWhenAskedTo() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("swapdisk.img")
        try Harness.sparseFile(source, bytes: 16 << 20)
        try await Command.check("mkswap", ["-q", source])
        let target = dir.file("clone.img")
        let (plan, _) = try await Harness.convert(source, target) { $0.method = .clone }
        #expect(plan.method == .clone && plan.layout == nil)
        #expect(try await Self.sameBytes(source, target).status == 0)
    }

    /// Into an existing, bigger file full of old data (0xAA): the source's holes are not
    /// skipped there, since the target is not known to be zero. Every byte within the source's
    /// size equals the source; what lies past its end may stay.
    @Test(.requires(tools: ["mke2fs", "sfdisk", "cmp"]))
    func cloneOverOldDataZeroFillsTheHoles() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.partitionedDisk(in: dir)
        let sourceBytes = Harness.fileSize(source)
        let target = dir.file("old.img")
        try Harness.filledFile(target, bytes: 96 << 20, value: 0xAA)

        let (plan, result) = try await Harness.convert(source, target) {
            $0.method = .clone
            $0.force = true
        }
        #expect(plan.target.kind == "existing file")
        #expect(plan.target.sizeBytes == 96 << 20)
        #expect(result.method == .clone)
        #expect(Harness.fileSize(target) == 96 << 20, "the existing file changed size")
        let compare = try await Self.sameBytes(source, target, bytes: sourceBytes)
        #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")

        // The gap between the MBR and partition 1 is a hole in the source: zeros now.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: target))
        try handle.seek(toOffset: 64 << 10)
        let gap = try handle.read(upToCount: 64 << 10) ?? Data()
        try handle.close()
        #expect(gap.count == 64 << 10 && gap.allSatisfy { $0 == 0 }, "old data survived in a hole of the source")
        let table = try await Harness.sfdiskTable(target)
        #expect(table["label"] as? String == "dos")
    }
}
