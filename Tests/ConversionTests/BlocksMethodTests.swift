import Conversion
import Foundation
import PartitionTable
import TestSupport
import Testing

/// The blocks method on every layout: tables the tools accept, a clean filesystem holding
/// exactly the source's used data, a sparse target, an untouched source.
@Suite struct BlocksMethodTests {
    struct Layout: Sendable, CustomStringConvertible {
        var table: TableKind
        var start: UInt64
        var description: String { "\(table)@\(start)" }
    }

    static let layouts = [
        Layout(table: .mbr, start: 2048), Layout(table: .mbr, start: 32), Layout(table: .gpt, start: 2048),
    ]

    @Test(arguments: layouts)
    func convertsIntoANewFile(layout: Layout) async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "e2fsck", "sfdisk", "sgdisk", "blkid"]) else { return }
        let dir = try TemporaryDirectory()
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: source, size: "96M")
        let before = try await sha256(source)
        let target = dir.file("kvm.img")

        let (plan, result) = try await Convert.run(source, target) {
            $0.table = layout.table
            $0.start = layout.start
        }
        #expect(plan.method == .blocks)
        #expect(result.fsck?.clean == true)
        #expect(result.tableProblems.isEmpty)
        let disk = try #require(plan.layout)

        let json = try await Command.check("sfdisk", ["--json", target]).stdout
        let table = try #require(
            (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["partitiontable"]
                as? [String: Any])
        #expect(table["label"] as? String == (layout.table == .mbr ? "dos" : "gpt"))
        let first = try #require((table["partitions"] as? [[String: Any]])?.first)
        #expect(first["start"] as? Int == Int(layout.start))
        #expect(first["size"] as? Int == (96 << 20) / 512)
        if layout.table == .mbr {
            #expect(first["type"] as? String == "83")
            #expect(first["bootable"] as? Bool == true)
        } else {
            #expect(first["type"] as? String == "0FC63DAF-8483-4772-8E79-3D69D8477DE4")
            let verify = try await Command.run("sgdisk", ["-v", target])
            #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)")
        }
        let probe = try await Command.check("blkid", ["-p", target]).stdout
        #expect(probe.contains("PTTYPE=\"\(layout.table == .mbr ? "dos" : "gpt")\""))
        let fsck = try await Command.run("e2fsck", ["-fn", "\(target)?offset=\(disk.partitionOffsetBytes)"])
        #expect(fsck.status == 0, "\(fsck.stdout)")

        let original = try Convert.usedData(source)
        let copy = try Convert.usedData(target, offset: disk.partitionOffsetBytes)
        #expect(copy.runs == original.runs)
        #expect(copy.hash == original.hash)
        let used = try #require(plan.source.usedBytes)
        #expect(Convert.allocatedBytes(target) <= used + (2 << 20), "the target is not sparse")
        #expect(try await sha256(source) == before)
    }

    /// A block device's size is fixed: the GPT backup goes to its real end.
    @Test func convertsIntoABlockDeviceWithGPT() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "e2fsck", "sgdisk", "losetup"]) else { return }
        let dir = try TemporaryDirectory()
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree("debian12-grub2"), at: source, size: "64M")
        let backing = dir.file("lv.img")
        _ = FileManager.default.createFile(atPath: backing, contents: nil)
        #expect(truncate(backing, 80 << 20) == 0)
        let device = try await Command.check("losetup", ["--find", "--show", backing]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let (plan, result) = try await Convert.run(source, device) { $0.table = .gpt }
            #expect(plan.target.kind == "block device")
            #expect(plan.layout?.diskBytes == 80 << 20)
            #expect(result.fsck?.clean == true)
        } catch {
            Issue.record(error)
        }
        try await Command.check("losetup", ["--detach", device])
        let verify = try await Command.run("sgdisk", ["-v", backing])
        #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)")
    }
}
