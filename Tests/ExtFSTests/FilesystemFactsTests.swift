import ExtFS
import Foundation
import TestSupport
import Testing

/// Superblock facts and the used-block map agree with e2fsprogs' own tools.
@Suite struct FilesystemFactsTests {
    /// `dumpe2fs -h` as key → value.
    static func dumpe2fs(_ image: String) async throws -> [String: String] {
        let output = try await Command.check("dumpe2fs", ["-h", image]).stdout
        var fields: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    @Test(
        .requires(tools: ["mke2fs", "dumpe2fs"]),
        arguments: [("ext2", "1024"), ("ext3", "4096"), ("ext4", "4096"), ("ext4", "1024")])
    func factsMatchDumpe2fs(type: String, blockSize: String) async throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: "\(tree)/data", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 3 << 20).write(to: URL(fileURLWithPath: "\(tree)/data/blob"))
        let image = dir.file("fs.img")
        try await Fixtures.makeImage(
            from: tree, at: image, type: type, size: "32M", label: "guestroot", extraOptions: ["-b", blockSize])

        let fs = try ExtFilesystem(path: image)
        let facts = fs.facts()
        let dump = try await Self.dumpe2fs(image)
        #expect(facts.type == type)
        #expect(facts.label == "guestroot")
        #expect(facts.uuid == dump["Filesystem UUID"])
        #expect("\(facts.blockSize)" == dump["Block size"])
        #expect("\(facts.blockCount)" == dump["Block count"])
        #expect("\(facts.freeBlocks)" == dump["Free blocks"])
        #expect(facts.features == dump["Filesystem features"]?.split(separator: " ").map(String.init))
        #expect(facts.state == .clean)
        #expect(facts.hasJournal == (type != "ext2"))
        #expect(facts.usedBytes + facts.freeBytes == facts.sizeBytes)
        #expect(facts.usedBytes > 3 << 20)
    }

    @Test(
        .requires(tools: ["mke2fs"]),
        arguments: [
            ["-b", "1024"], ["-b", "4096"], ["-O", "bigalloc", "-C", "65536"],
            ["-O", "^flex_bg,meta_bg,^resize_inode"],
            ["-O", "inline_data"], ["-O", "uninit_bg,^metadata_csum"],
        ])
    func usedRunsCoverExactlyTheUsedBlocks(options: [String]) async throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        for index in 0..<20 {
            try Data(repeating: UInt8(index), count: 40_000 * (index + 1))
                .write(to: URL(fileURLWithPath: "\(tree)/file\(index)"))
        }
        let image = dir.file("fs.img")
        try await Fixtures.makeImage(from: tree, at: image, size: "64M", extraOptions: options)
        let fs = try ExtFilesystem(path: image)
        let runs = try fs.usedBlockRuns()
        let total = runs.reduce(0) { $0 + UInt64($1.count) }
        #expect(total == fs.blockCount - fs.freeBlockCount)
        #expect(runs.first?.lowerBound == 0)
        #expect(zip(runs, runs.dropFirst()).allSatisfy { $0.upperBound < $1.lowerBound })
        #expect(runs.last!.upperBound <= fs.blockCount)
    }

    @Test(.requires(tools: ["mke2fs", "debugfs"]))
    func uncleanFilesystemIsReported() async throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        let image = dir.file("fs.img")
        try await Fixtures.makeImage(from: tree, at: image, size: "16M")
        // state 0 = "not clean" (mounted, or crashed while mounted).
        try await Command.check("debugfs", ["-w", "-R", "ssv state 0", image])
        let facts = try ExtFilesystem(path: image).facts()
        #expect(facts.state == .needsFsck)
        #expect(facts.stateReasons == ["not cleanly unmounted"])
    }
}
