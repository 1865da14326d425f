import Foundation
import TestSupport
import Testing

/// Sources that are not clean in the ways e2fsprogs's own test images are (issue 10), built at
/// run time from a small tree: each damage is made with debugfs, dd or a real kernel mount, and
/// each builder proves its damage is there, so a test over it cannot silently test nothing.
enum DamagedSource: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// j_recover_fast_commit: a copy taken while mounted, after an fsync that went to the
    /// fast-commit area only; the bitmaps on disk do not know the new file's block.
    case fastCommitJournal = "fast-commit-journal"
    /// f_lpf: an in-use inode no directory names, its blocks free in the bitmap.
    case lostInode = "lost-inode"
    /// f_itable_collision: group 1's inode table on top of group 0's, with no backup descriptors
    /// for e2fsck to fall back on, so it has to relocate one.
    case inodeTableCollision = "inode-table-collision"
    /// f_miss_blk_bmap: group 0 has no block bitmap (location 0).
    case missingBlockBitmap = "missing-block-bitmap"
    /// f_illbbitmap: group 0's block bitmap lies past the end of the filesystem.
    case illegalBlockBitmap = "illegal-block-bitmap"
    /// The same with the superblock still saying clean: nothing but the descriptors tells.
    case illegalBlockBitmapMarkedClean = "illegal-block-bitmap-marked-clean"
    /// f_zero_group: the primary group descriptors are zeros (the backups are intact).
    case zeroedDescriptors = "zeroed-descriptors"
    /// f_uninit_set_inode_not_set: a group holding file data marked BLOCK_UNINIT.
    case blockUninitInUse = "block-uninit-in-use"

    var testDescription: String { rawValue }

    /// The file whose text /a/new holds after the journal is replayed (j_recover_fast_commit).
    static let fastCommitText = Data("test\n".utf8)
    /// /docs/orphan.txt: 5120 bytes of text, like f_lpf's /lost+found/#13.
    static let orphanText = Data(
        (0..<128).map { String(format: "orphan line %03d of 40 bytes, padded....\n", $0) }.joined().utf8)

    /// What the builder made: the image, and the file its repaired copy must hold whose blocks
    /// the image's bitmap marks free (what a copy by bitmap loses).
    struct Built {
        var image: String
        var survivor: Survivor?
    }

    struct Survivor {
        /// How debugfs names it in the repaired copy ("/a/new", "<13>": debugfs takes # for a comment).
        var debugfsName: String
        /// Its path in the repaired tree.
        var path: String
        var content: Data
    }

    /// Builds the damaged image in `dir` (fastCommitJournal mounts: root). Only the superblock
    /// of the marked-clean variant and of the crashed mount (clean, a journal to replay) says clean.
    func build(in dir: TemporaryDirectory) async throws -> Built {
        let built = try await make(in: dir)
        // dumpe2fs prints the superblock, then fails on zeroed descriptors.
        let header = try await Command.run("dumpe2fs", ["-h", built.image]).stdout
        let clean = self == .illegalBlockBitmapMarkedClean || self == .fastCommitJournal
        try #require(header.contains("Filesystem state:         \(clean ? "clean" : "not clean")\n"), "\(header)")
        return built
    }

    private func make(in dir: TemporaryDirectory) async throws -> Built {
        let image = dir.file("source.img")
        let tree = try Self.tree(in: dir)
        switch self {
        case .fastCommitJournal:
            return try await Self.crashedFastCommit(tree, at: image, in: dir)
        case .lostInode:
            try await Harness.makeImage(from: tree, at: image, options: ["-t", "ext4"], size: "16M")
            return try await Self.orphan("/docs/orphan.txt", in: image)
        case .inodeTableCollision:
            try await Harness.makeImage(
                from: tree, at: image, options: ["-t", "ext4", "-O", "sparse_super2", "-E", "num_backup_sb=0"],
                size: "16M")
            let table = try await Self.descriptorField("Inode table at", group: 0, of: image)
            try await Self.debugfs(image, ["set_bg 1 inode_table \(table)", "set_bg 1 checksum calc", "ssv state 0"])
        case .missingBlockBitmap, .illegalBlockBitmap, .illegalBlockBitmapMarkedClean:
            try await Harness.makeImage(from: tree, at: image, options: ["-t", "ext4"], size: "16M")
            let location = self == .missingBlockBitmap ? 0 : 40_000  // 16 MiB of 1 KiB blocks: past the end
            let state = self == .illegalBlockBitmapMarkedClean ? [] : ["ssv state 0"]
            try await Self.debugfs(image, ["set_bg 0 block_bitmap \(location)", "set_bg 0 checksum calc"] + state)
        case .zeroedDescriptors:
            try await Harness.makeImage(from: tree, at: image, options: ["-t", "ext4"], size: "16M")
            // 1 KiB blocks: the superblock is block 1, the descriptors block 2.
            try await Command.check(
                "dd", ["if=/dev/zero", "of=\(image)", "bs=1024", "seek=2", "count=1", "conv=notrunc"])
            try await Self.debugfs(image, ["ssv state 0"])
        case .blockUninitInUse:
            // Small groups without flex_bg, so /data/r1 runs through group 1.
            try await Harness.makeImage(
                from: tree, at: image, options: ["-t", "ext4", "-O", "^flex_bg,^resize_inode", "-g", "1024"],
                size: "16M")
            try await Self.debugfs(image, ["set_bg 1 flags 2", "set_bg 1 checksum calc", "ssv state 0"])
        }
        return Built(image: image, survivor: nil)
    }

    /// What `e2fsck -fn` on a plain copy of the image must say: the damage is there.
    var fsckSays: String {
        switch self {
        case .fastCommitJournal: "skipping journal recovery"
        case .lostInode: "Unattached inode"
        case .inodeTableCollision: "bad block for inode table"
        case .missingBlockBitmap, .illegalBlockBitmap, .illegalBlockBitmapMarkedClean, .zeroedDescriptors:
            "bad block for block bitmap"
        case .blockUninitInUse: "in use but group is marked BLOCK_UNINIT"
        }
    }

    // MARK: Building

    /// A few files with known text and random content, a symlink: small, so each image is 16 MiB.
    private static func tree(in dir: TemporaryDirectory) throws -> String {
        let tree = dir.file("tree")
        for sub in ["a", "docs", "data", "etc"] {
            try FileManager.default.createDirectory(atPath: "\(tree)/\(sub)", withIntermediateDirectories: true)
        }
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: "\(tree)/etc/motd"))
        try orphanText.write(to: URL(fileURLWithPath: "\(tree)/docs/orphan.txt"))
        try Harness.randomBytes(1_500_000).write(to: URL(fileURLWithPath: "\(tree)/data/r1"))
        try Harness.randomBytes(70_000).write(to: URL(fileURLWithPath: "\(tree)/data/r2"))
        try FileManager.default.createSymbolicLink(atPath: "\(tree)/docs/link", withDestinationPath: "../etc/motd")
        return tree
    }

    /// Mounts a fast_commit ext4, writes and fsyncs /a/new (after one full commit: the first
    /// fsync of a mount is never a fast one) and copies the image while it is still mounted:
    /// what the disk holds after a crash.
    private static func crashedFastCommit(_ tree: String, at image: String, in dir: TemporaryDirectory)
        async throws -> Built
    {
        let mounted = dir.file("mounted.img")
        try await Harness.makeImage(from: tree, at: mounted, options: ["-t", "ext4", "-O", "fast_commit"], size: "16M")
        let fastCommits = try await Harness.withLoopDevice(mounted) { device in
            try await Harness.withMount(device, options: "rw", in: dir) { point in
                try fsyncedFile("\(point)/a/first", Data("a full commit\n".utf8))
                try fsyncedFile("\(point)/a/new", fastCommitText)
                try await Command.check("cp", ["--sparse=always", mounted, image])
                let info = "/proc/fs/ext4/\(URL(fileURLWithPath: device).lastPathComponent)/fc_info"
                return try String(contentsOfFile: info, encoding: .utf8)
            }
        }
        try FileManager.default.removeItem(atPath: mounted)
        try #require(
            fastCommits.contains(" commits") && !fastCommits.contains("\n0 commits"), "no fast commit: \(fastCommits)")
        let features = try await Command.check("dumpe2fs", ["-h", image]).stdout
        try #require(features.contains("needs_recovery"), "the copy has no journal to replay:\n\(features)")
        return Built(image: image, survivor: Survivor(debugfsName: "/a/new", path: "a/new", content: fastCommitText))
    }

    private static func fsyncedFile(_ path: String, _ content: Data) throws {
        guard FileManager.default.createFile(atPath: path, contents: content) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.synchronize()
    }

    /// Unlinks `path` without touching its inode and frees its blocks in the bitmap; the
    /// superblock says not clean. e2fsck -fy then connects the inode to /lost+found as #INODE.
    private static func orphan(_ path: String, in image: String) async throws -> Built {
        let inode = try await Command.check("debugfs", ["-R", "stat \(path)", image]).stdout
            .split(separator: " ").dropFirst().first.map { String($0) }
        let number = try #require(inode.flatMap { Int($0) }, "no inode for \(path)")
        let blocks = try await blocks(path, of: image)
        try await debugfs(image, ["unlink \(path)"] + blocks.map { "freeb \($0)" } + ["ssv state 0"])
        let names = try await Command.check("debugfs", ["-R", "ncheck \(number)", image]).stdout
        try #require(!names.contains(path.split(separator: "/").last!), "inode \(number) is still named: \(names)")
        return Built(
            image: image,
            survivor: Survivor(debugfsName: "<\(number)>", path: "lost+found/#\(number)", content: orphanText))
    }

    /// `debugfs -w -f COMMANDS IMAGE`: every command in one session, so a descriptor changed by
    /// one is given its checksum by the next before the filesystem is opened again.
    static func debugfs(_ image: String, _ commands: [String]) async throws {
        let script = image + ".debugfs"
        try (commands.joined(separator: "\n") + "\n").write(toFile: script, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let result = try await Command.check("debugfs", ["-w", "-f", script, image])
        try #require(!result.stderr.contains("not open"), "debugfs: \(result.stderr)")
    }

    /// The blocks of `path` (`debugfs -R "blocks PATH"`; `image` may carry `?offset=N`).
    static func blocks(_ path: String, of image: String) async throws -> [UInt64] {
        try await Command.check("debugfs", ["-R", "blocks \(path)", image]).stdout
            .split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
    }

    /// The first block of `field` ("Inode table at 134-389") of `group` in `dumpe2fs`.
    private static func descriptorField(_ field: String, group: Int, of image: String) async throws -> UInt64 {
        let dump = try await Command.check("dumpe2fs", [image]).stdout
        let section = dump.components(separatedBy: "\nGroup \(group): ").dropFirst().first ?? ""
        let line = section.split(separator: "\n").first { $0.contains(field) } ?? ""
        let digits = line.components(separatedBy: field).dropFirst().first?.drop { $0 == " " }.prefix { $0.isNumber }
        return try #require(digits.flatMap { UInt64($0) }, "no \(field) for group \(group) in dumpe2fs")
    }
}
