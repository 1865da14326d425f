import Conversion
import ExtFS
import Foundation
import PartitionTable
import TestSupport
import Testing

/// The blocks method puts the filesystem where the new table says partition 1 is, on every
/// layout the CLI offers. Judged by the host tools a KVM host uses (sfdisk, sgdisk, blkid,
/// e2fsck), not only by our own reader, and by the bytes themselves: the used blocks at the
/// partition offset equal the source's, nothing else is written, the source is untouched.
@Suite struct BlockLayoutTests {
    struct Layout: Sendable, CustomStringConvertible {
        var table: TableKind
        var start: UInt64
        var description: String { "\(table)@\(start)" }
    }

    /// MBR at 2048 (the default), MBR at 32 (--dos-compat, for grub legacy guests), GPT at 2048.
    static let layouts = [
        Layout(table: .mbr, start: 2048), Layout(table: .mbr, start: 32), Layout(table: .gpt, start: 2048),
    ]

    /// BIOS boot partition type: GPT disks carry one for grub2's core.img (sectors 34-2047).
    static let biosBootType = "21686148-6449-6E6F-744E-656564454649"

    @Test(.requires(tools: ["mke2fs", "e2fsck", "sfdisk", "sgdisk", "blkid", "sha256sum"]), arguments: layouts)
    func newFileTarget(layout: Layout) async throws {
        let dir = try TemporaryDirectory()
        // centos6 boots with grub legacy, so --dos-compat is allowed for it.
        let source = try await Harness.fixtureImage("centos6", in: dir)
        let before = try await sha256(source)
        let target = dir.file("kvm.img")

        let (plan, result) = try await Harness.convert(source, target) {
            $0.table = layout.table
            $0.start = layout.start
        }
        #expect(plan.method == .blocks)
        #expect(result.method == .blocks)
        #expect(result.fsck?.clean == true)
        let disk = try #require(plan.layout)
        let fsBytes = try #require(plan.source.filesystemBytes)
        #expect(disk.partitionStart == layout.start)
        #expect(disk.partitionOffsetBytes == layout.start * 512)
        // A new target is just big enough: the partition, plus the backup GPT if any.
        #expect(Harness.fileSize(target) == disk.diskBytes)
        #expect(disk.diskBytes == layout.start * 512 + fsBytes + (layout.table == .gpt ? 33 * 512 : 0))

        // What sfdisk reads: label, partition 1 exactly over the filesystem, type and flags.
        let table = try await Harness.sfdiskTable(target)
        #expect(table["label"] as? String == (layout.table == .mbr ? "dos" : "gpt"))
        let partitions = try #require(table["partitions"] as? [[String: Any]])
        let first = try #require(partitions.first { $0["node"] as? String == "\(target)1" }, "\(partitions)")
        #expect(first["start"] as? Int == Int(layout.start))
        #expect(first["size"] as? Int == Int(fsBytes / 512))
        switch layout.table {
        case .mbr:
            #expect(partitions.count == 1)
            #expect(first["type"] as? String == "83")
            #expect(first["bootable"] as? Bool == true)
        case .gpt:
            #expect(partitions.count == 2)
            #expect(first["type"] as? String == Harness.linuxGPTType)
            let boot = partitions.first { $0["node"] as? String == "\(target)2" }
            #expect(boot?["type"] as? String == Self.biosBootType)
            #expect(boot?["start"] as? Int == 34)
            let verify = try await Command.run("sgdisk", ["-v", target])
            #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)\(verify.stderr)")
        }
        let probe = try await Harness.blkid(target)
        #expect(probe["PTTYPE"] == (layout.table == .mbr ? "dos" : "gpt"), "\(probe)")

        // e2fsck of our own, the way an operator would check the partition.
        let fsck = try await Command.run("e2fsck", ["-fn", "\(target)?offset=\(disk.partitionOffsetBytes)"])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")

        // Block for block: the same used runs holding the same bytes, at the partition offset.
        let original = try Harness.usedData(image: source)
        let copy = try Harness.usedData(image: target, offset: disk.partitionOffsetBytes)
        #expect(copy.runs == original.runs)
        #expect(copy == original, "copy \(copy) vs source \(original)")

        // Free blocks were not written: the target stays sparse.
        let used = try #require(plan.source.usedBytes)
        #expect(
            Harness.allocatedBytes(target) <= used + (2 << 20),
            "allocated \(Harness.allocatedBytes(target)) bytes for \(used) used bytes")
        #expect(try await sha256(source) == before, "the source changed")
    }

    /// A block device (an LV on a real host) has a fixed size bigger than the filesystem:
    /// the table describes the whole device, with the backup GPT in its last 33 sectors.
    @Test(
        .requires(root: true, tools: ["mke2fs", "e2fsck", "sgdisk", "sfdisk", "losetup"]),
        arguments: [TableKind.gpt, .mbr])
    func blockDeviceTarget(table kind: TableKind) async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage("centos6", in: dir)
        let before = try await sha256(source)
        let backing = dir.file("lv.img")
        let deviceBytes = 100 << 20
        try Harness.sparseFile(backing, bytes: deviceBytes)

        let (plan, result) = try await Harness.withLoopDevice(backing) { device in
            try await Harness.convert(source, device) { $0.table = kind }
        }
        #expect(plan.target.kind == "block device")
        #expect(plan.method == .blocks)
        #expect(result.fsck?.clean == true)
        let disk = try #require(plan.layout)
        #expect(disk.diskBytes == UInt64(deviceBytes))
        #expect(disk.partitionBytes == plan.source.filesystemBytes)
        #expect(Harness.fileSize(backing) == UInt64(deviceBytes), "the device's size changed")

        // Read through the backing file once the device is gone: what the next boot sees.
        let read = try #require(try PartitionTableReader.read(path: backing))
        #expect(read.diskSectors == UInt64(deviceBytes / 512))
        #expect(read.problems.isEmpty, "\(read.problems)")
        if kind == .gpt {
            let verify = try await Command.run("sgdisk", ["-v", backing])
            #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)\(verify.stderr)")
            // The backup header is the device's last sector, its entries the 32 before it.
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: backing))
            try handle.seek(toOffset: UInt64(deviceBytes - 512))
            let last = try handle.read(upToCount: 8) ?? Data()
            try handle.close()
            #expect(last == Data("EFI PART".utf8), "no backup GPT header in the device's last sector")
            let sfdisk = try await Harness.sfdiskTable(backing)
            #expect(sfdisk["lastlba"] as? Int == deviceBytes / 512 - 34)
        }
        let fsck = try await Command.run("e2fsck", ["-fn", "\(backing)?offset=\(disk.partitionOffsetBytes)"])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        #expect(
            try Harness.usedData(image: backing, offset: disk.partitionOffsetBytes) == Harness.usedData(image: source))
        #expect(try await sha256(source) == before)
    }

    /// The source an operator usually has: a block device (an LVM volume; a writable loop
    /// device stands in), not a file. Every method reads it through the device and never
    /// writes it (the backing file's hash is the device's content); the copy is fsck-clean with
    /// the source's UUID, and blocks and resize copy the used data exactly.
    @Test(
        .requires(root: true, tools: ["mke2fs", "e2fsck", "resize2fs", "rsync", "losetup", "mount", "sha256sum"]),
        arguments: [CopyMethod.blocks, .resize, .rsync])
    func blockDeviceSource(method: CopyMethod) async throws {
        let dir = try TemporaryDirectory()
        let volume = try await Harness.fixtureImage("centos6", in: dir, name: "lv.img")
        let before = try await sha256(volume)
        let target = dir.file("kvm.img")
        let (plan, result) = try await Harness.withLoopDevice(volume) { device in
            try await Harness.convert(device, target) {
                $0.method = method
                if method == .resize { $0.targetSize = 56 << 20 }
            }
        }
        #expect(plan.source.kind == .blockDevice, "\(plan.source.kind)")
        #expect(result.fsck?.clean == true)
        let disk = try #require(plan.layout)
        let copy = try ExtFilesystem(path: target, offset: disk.partitionOffsetBytes).facts()
        #expect(try copy.uuid == ExtFilesystem(path: volume).facts().uuid)
        if method == .blocks {
            #expect(
                try Harness.usedData(image: target, offset: disk.partitionOffsetBytes)
                    == Harness.usedData(image: volume))
        }
        #expect(try await sha256(volume) == before, "the source volume was written")
    }

    /// --target-size makes the disk bigger, never the partition (that is the guest's job with
    /// growpart/resize2fs); the extra space stays a hole.
    @Test(.requires(tools: ["mke2fs", "e2fsck", "sgdisk"]))
    func targetSizeGrowsTheDiskNotThePartition() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage("centos6", in: dir)
        let target = dir.file("kvm.img")
        let (plan, result) = try await Harness.convert(source, target) {
            $0.table = .gpt
            $0.targetSize = 120 << 20
        }
        let disk = try #require(plan.layout)
        #expect(disk.diskBytes == 120 << 20)
        #expect(disk.partitionBytes == plan.source.filesystemBytes)
        #expect(Harness.fileSize(target) == 120 << 20)
        #expect(Harness.allocatedBytes(target) <= (plan.source.usedBytes ?? 0) + (2 << 20))
        let verify = try await Command.run("sgdisk", ["-v", target])
        #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)")
    }

    /// A --target-size that is not a whole number of sectors must still give a disk of whole
    /// sectors: the table is laid out for size / 512 sectors, and a file that keeps the odd
    /// size makes sgdisk warn ("File size is not a multiple of 512 bytes! Misbehavior is
    /// likely!"); a hypervisor that rounds the size up shows the guest a last sector past the
    /// backup GPT. Every method rounds a new file's size down to whole sectors.
    @Test(
        .requires(tools: ["mke2fs", "e2fsck", "resize2fs", "sfdisk", "sgdisk"]),
        arguments: [CopyMethod.blocks, .resize, .clone])
    func oddTargetSizeGivesWholeSectors(method: CopyMethod) async throws {
        let dir = try TemporaryDirectory()
        let source =
            method == .clone
            ? try await Harness.partitionedDisk(in: dir) : try await Harness.fixtureImage("centos6", in: dir)
        let target = dir.file("kvm.img")
        // Bigger than the source for blocks and clone; smaller than the 64 MiB filesystem (but
        // above what resize2fs can reach) for resize.
        let odd: UInt64 = method == .resize ? 50_000_001 : (100 << 20) + 1
        let (plan, result) = try await Harness.convert(source, target) {
            $0.method = method
            $0.table = .gpt
            $0.targetSize = odd
        }
        if let disk = plan.layout {
            #expect(disk.diskSectors == odd / 512)
            #expect(result.fsck?.clean == true)
        }
        #expect(plan.target.sizeBytes % 512 == 0, "planned size \(plan.target.sizeBytes)")
        #expect(Harness.fileSize(target) % 512 == 0, "file size \(Harness.fileSize(target))")
        if let disk = plan.layout { #expect(Harness.fileSize(target) == disk.diskBytes) }
    }
}
