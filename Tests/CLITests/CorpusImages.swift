import Foundation
import TestSupport
import Testing

/// A small guest image the damaged-image corpus starts from, with where its structures lie.
///
/// Built from a fixture tree with `mke2fs -d` at a fixed UUID, hash seed and time, so a seed
/// and a case number rebuild the same bytes on the same e2fsprogs. The initrd is rewritten
/// into scattered blocks (small files written, every other one removed, the initrd written
/// again with filler after its archives) so that it has an extent tree block (ext4) or an
/// indirect block (ext2/3): a small file never has one, and those are the blocks a looping
/// or out-of-range tree lives in.
struct CorpusImage: Sendable {
    var name: String
    var bytes: [UInt8]
    var blockSize: Int
    /// Byte ranges worth damaging: "superblock", "inode /etc/fstab", "directory /boot"…
    var regions: [Region]

    struct Region: Sendable {
        var name: String
        var ranges: [Range<Int>]
    }

    /// The variants: ext4 with metadata_csum (checksums reject damage early), and ext4 without
    /// checksums, ext3 and ext2 (damage reaches the code that walks trees and directories).
    static let variants: [Variant] = [
        Variant(guest: .centos6, type: "ext4", options: []),
        Variant(guest: .centos6, type: "ext3", options: []),
        Variant(guest: .debian12, type: "ext4", options: ["-O", "^metadata_csum"]),
        Variant(guest: .debian12, type: "ext2", options: []),
    ]

    struct Variant: Sendable {
        var guest: Guest
        var type: String
        var options: [String]
        var name: String { "\(guest.fixture)-\(type)\(options.isEmpty ? "" : "-nocsum")" }
    }

    struct Guest: Sendable {
        var fixture: String
        var initrd: String
        /// Guest paths whose inode and blocks the corpus damages.
        var paths: [String]

        static let centos6 = Guest(
            fixture: "centos6", initrd: "/boot/initramfs-2.6.32-754.35.1.el6.x86_64.img",
            paths: [
                "/", "/etc", "/boot", "/boot/grub", "/etc/fstab", "/boot/grub/grub.conf", "/boot/grub/menu.lst",
                "/etc/grub.conf", "/etc/redhat-release", "/etc/centos-release", "/etc/sysconfig",
                "/boot/vmlinuz-2.6.32-754.35.1.el6.x86_64", "/boot/config-2.6.32-754.35.1.el6.x86_64",
                "/lib/modules/2.6.32-754.35.1.el6.x86_64", "/lib/modules/2.6.32-754.35.1.el6.x86_64/modules.builtin",
            ])
        static let debian12 = Guest(
            fixture: "debian12-grub2", initrd: "/boot/initrd.img-6.1.0-26-amd64",
            paths: [
                "/", "/etc", "/boot", "/boot/grub", "/etc/fstab", "/boot/grub/grub.cfg", "/etc/os-release",
                "/etc/debian_version", "/etc/default/grub", "/lib", "/usr/lib/modules",
                "/boot/vmlinuz-6.1.0-26-amd64", "/boot/config-6.1.0-26-amd64", "/usr/lib/modules/6.1.0-26-amd64",
            ])
    }

    /// Builds the variant's image in `dir` and maps its structures with dumpe2fs and debugfs.
    static func build(_ variant: Variant, in dir: TemporaryDirectory) async throws -> CorpusImage {
        let image = dir.file("\(variant.name).img")
        try await tool(
            "mke2fs",
            [
                "-q", "-F", "-t", variant.type, "-U", "1b3a6f0e-5c2d-4e8f-9a71-2d4c6b8e0f13", "-E",
                "hash_seed=7d2c1e4a-3b5f-4a6e-8c9d-0e1f2a3b4c5d",
            ] + variant.options
                + ["-d", Fixtures.tree(variant.guest.fixture), image, "8M"])
        try await scatter(variant.guest.initrd, of: variant.guest.fixture, in: image, dir: dir)

        let header = try await tool("dumpe2fs", [image]).stdout
        let blockSize = Int(try #require(firstMatch(#/Block size:\s+(\d+)/#, in: header)))!
        var regions = [Region(name: "superblock", ranges: [1024..<2048])]
        func blocks(_ first: Int, _ last: Int) -> Range<Int> { first * blockSize..<(last + 1) * blockSize }
        for (label, pattern) in [
            ("group descriptors", #/Group descriptors at (\d+)-(\d+)/#),
            ("inode table", #/Inode table at (\d+)-(\d+)/#),
        ] {
            if let match = header.firstMatch(of: pattern), let first = Int(match.1), let last = Int(match.2) {
                // The first blocks of the table hold the reserved inodes and the fixture's files.
                regions.append(Region(name: label, ranges: [blocks(first, min(last, first + 15))]))
            }
        }
        for label in ["Block bitmap", "Inode bitmap"] {
            let pattern = try Regex("\(label) at (\\d+)", as: (Substring, Substring).self)
            if let match = header.firstMatch(of: pattern), let block = Int(match.1) {
                regions.append(Region(name: label.lowercased(), ranges: [blocks(block, block)]))
            }
        }
        let inodeSize = Int(firstMatch(#/Inode size:\s+(\d+)/#, in: header) ?? "128") ?? 128
        for path in variant.guest.paths + [variant.guest.initrd, "<8>"] {
            regions += try await structures(of: path, in: image, blockSize: blockSize, inodeSize: inodeSize)
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: image)))
        return CorpusImage(name: variant.name, bytes: bytes, blockSize: blockSize, regions: regions)
    }

    /// The inode of `path`, its first data blocks (a directory's entries, the journal's
    /// superblock, the start of the initrd) and its extent-tree or indirect blocks.
    private static func structures(
        of path: String, in image: String, blockSize: Int, inodeSize: Int
    ) async throws -> [Region] {
        let map = try await tool("debugfs", ["-R", "imap \(path)", image], mayFail: true).stdout
        guard let match = map.firstMatch(of: #/located at block (\d+), offset 0x([0-9a-f]+)/#),
            let block = Int(match.1), let offset = Int(match.2, radix: 16)
        else { return [] }
        let inodeStart = block * blockSize + offset
        var regions = [Region(name: "inode \(path)", ranges: [inodeStart..<inodeStart + inodeSize])]
        let stat = try await tool("debugfs", ["-R", "stat \(path)", image], mayFail: true).stdout
        let data = stat.matches(of: #/\((\d+)(?:-\d+)?\):(\d+)/#).compactMap { Int($0.2) }
        let tree = stat.matches(of: #/\((?:ETB\d|IND|DIND|TIND)\):(\d+)/#).compactMap { Int($0.1) }
        let what = path == "<8>" ? "journal superblock" : stat.contains("Type: directory") ? "directory" : "data"
        if !data.isEmpty {
            regions.append(
                Region(name: "\(what) \(path)", ranges: data.prefix(2).map { $0 * blockSize..<($0 + 1) * blockSize }))
        }
        if !tree.isEmpty {
            regions.append(Region(name: "tree \(path)", ranges: tree.map { $0 * blockSize..<($0 + 1) * blockSize }))
        }
        return regions
    }

    /// Rewrites the initrd into scattered blocks (see the type's comment), with debugfs.
    private static func scatter(_ initrd: String, of fixture: String, in image: String, dir: TemporaryDirectory)
        async throws
    {
        let filler = dir.file("filler")
        let padded = dir.file("padded-initrd")
        try Data(repeating: UInt8(ascii: "y"), count: 1024).write(to: URL(fileURLWithPath: filler))
        // What follows a compressed archive is never read: the filler only makes the file long.
        let archive = try Data(contentsOf: URL(fileURLWithPath: Fixtures.tree(fixture) + initrd))
        try (archive + Data(repeating: UInt8(ascii: "x"), count: 40 << 10)).write(to: URL(fileURLWithPath: padded))
        var commands = ["mkdir /scatter"]
        commands += (0..<60).map { "write \(filler) /scatter/f\($0)" }
        commands += stride(from: 0, to: 60, by: 2).map { "rm /scatter/f\($0)" }
        commands += ["rm \(initrd)", "write \(padded) \(initrd)"]
        let script = dir.file("scatter.debugfs")
        try commands.joined(separator: "\n").write(toFile: script, atomically: true, encoding: .utf8)
        try await tool("debugfs", ["-w", "-f", script, image])
    }

    /// Runs an e2fsprogs tool at a fixed time (E2FSPROGS_FAKE_TIME), so its output is the same each run.
    @discardableResult
    private static func tool(_ name: String, _ arguments: [String], mayFail: Bool = false) async throws
        -> CommandResult
    {
        let result = try await Command.run(name, arguments, environment: ["E2FSPROGS_FAKE_TIME": "1700000000"])
        guard result.succeeded || mayFail else {
            throw CommandError.failed(command: ([name] + arguments).joined(separator: " "), result: result)
        }
        return result
    }

    private static func firstMatch(_ pattern: Regex<(Substring, Substring)>, in text: String) -> Substring? {
        text.firstMatch(of: pattern)?.1
    }
}
