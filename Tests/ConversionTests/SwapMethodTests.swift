import Conversion
import Foundation
import TestSupport
import Testing

/// A Xen guest's swap volume becomes a partitioned KVM disk whose partition 1 is a new swap
/// area with the same UUID and label: fstab's /dev/xvdb1 (mapped to /dev/vdb1), UUID= and
/// LABEL= lines all find it.
@Suite struct SwapMethodTests {
    static let uuid = "3f1c2b9e-5d4a-4e8f-9b7c-1a2d3e4f5a6b"

    static func xenSwapVolume(_ dir: TemporaryDirectory, size: Int = 64 << 20) async throws -> String {
        let source = dir.file("xen-swap.img")
        _ = FileManager.default.createFile(atPath: source, contents: nil)
        #expect(truncate(source, off_t(size)) == 0)
        try await Command.check("mkswap", ["--uuid", uuid, "--label", "xenswap", source])
        return source
    }

    @Test(.requires(root: true, tools: ["mkswap", "sfdisk", "blkid", "losetup"]), arguments: ["mbr", "gpt"])
    func swapVolumeBecomesPartitionOne(table: String) async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.xenSwapVolume(dir)
        let before = try await sha256(source)
        let target = dir.file("kvm-swap.img")
        let (plan, _) = try await Harness.convert(source, target) { $0.table = table == "gpt" ? .gpt : .mbr }
        #expect(plan.method == .swap)
        #expect(plan.layout?.partitionBytes == 64 << 20)

        let dump = try await Command.check("sfdisk", ["--dump", target]).stdout
        let swapType = table == "gpt" ? "type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" : "type=82"
        #expect(dump.contains("start=        2048") && dump.contains(swapType), "\(dump)")
        let probe = try await Command.check("blkid", ["-p", "-O", "1048576", target]).stdout
        #expect(probe.contains("TYPE=\"swap\"") && probe.contains(Self.uuid) && probe.contains("LABEL=\"xenswap\""))
        #expect(Harness.allocatedBytes(target) < 1 << 20, "the swap disk should stay sparse")
        #expect(try await sha256(source) == before)
    }

    /// A fixed-size target smaller than the source still gets a swap area: as big as fits.
    @Test(.requires(root: true, tools: ["mkswap", "blkid", "losetup"]))
    func smallerTargetGetsASmallerSwapArea() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.xenSwapVolume(dir)
        let target = dir.file("small.img")
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        #expect(truncate(target, 32 << 20) == 0)
        let (plan, _) = try await Harness.convert(source, target)
        #expect(plan.layout?.partitionBytes == (32 << 20) - (1 << 20))
        #expect(plan.notes.contains { $0.contains("smaller than the source's") }, "\(plan.notes)")
        let probe = try await Command.check("blkid", ["-p", "-O", "1048576", target]).stdout
        #expect(probe.contains(Self.uuid))
    }

    @Test(.requires(tools: ["mke2fs"]))
    func swapMethodNeedsASwapArea() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("ext4.img")
        try await Fixtures.makeImage(from: Fixtures.tree("debian12-grub2"), at: source, size: "32M")
        var options = ConvertOptions(source: source, target: dir.file("t.img"))
        options.method = .swap
        #expect {
            try Planner.plan(options)
        } throws: { error in
            "\(error)".contains("--method swap needs a Linux swap area")
        }
    }
}
