import Foundation
import Inspection
import TestSupport
import Testing

/// An already partitioned source is reported as such, and its Linux partition is inspected.
@Suite struct PartitionedSourceTests {
    @Test(.requires(tools: ["mke2fs", "sfdisk"]), arguments: ["dos", "gpt"])
    func inspectsTheLinuxPartition(label: String) async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("disk.img")
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        #expect(truncate(image, 80 << 20) == 0)
        let type = label == "dos" ? "83" : "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
        try await Command.check(
            "sh", ["-c", "echo 'label: \(label)\nstart=2048, size=131072, type=\(type)' | sfdisk -q \(image)"])
        try await Fixtures.makeImage(
            from: Fixtures.tree("debian12-grub2"), at: image, size: "65536", extraOptions: ["-E", "offset=1048576"])

        let report = try Inspector.inspect(image)
        #expect(report.source.partitionTable == label)
        #expect(report.source.partitions.map(\.startSector) == [2048])
        #expect(report.filesystem?.offsetBytes == 1 << 20)
        #expect(report.guest?.distro == "debian")
        #expect(report.findings.contains { $0.code == "already-partitioned" })
    }

    @Test(.requires(tools: ["mke2fs", "sfdisk"]))
    func grub2BehindSector32IsABlocker() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("disk.img")
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        #expect(truncate(image, 80 << 20) == 0)
        try await Command.check("sh", ["-c", "echo 'start=32, size=131072, type=83' | sfdisk -q \(image)"])
        try await Fixtures.makeImage(
            from: Fixtures.tree("centos7"), at: image, size: "65536", extraOptions: ["-E", "offset=16384"])
        let report = try Inspector.inspect(image)
        #expect(report.readiness == .blocked)
        #expect(report.findings.first?.code == "grub2-dos-compat-layout")
    }
}
