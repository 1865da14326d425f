import Conversion
import Foundation
import TestSupport
import Testing

@testable import Remote

/// The ssh URL, the superblock the probe reads and the transport choice: no host needed.
@Suite struct RemoteSourceTests {
    @Test func parsesTheURLForms() throws {
        let plain = try #require(try RemoteSource.parse("ssh://root@xen1/dev/vg0/web01"))
        #expect(plain.endpoint == SSHEndpoint(user: "root", host: "xen1"))
        #expect(plain.path == "/dev/vg0/web01")
        #expect(plain.description == "ssh://root@xen1/dev/vg0/web01")
        let port = try #require(try RemoteSource.parse("ssh://xen1.example.org:2222/srv/xen/web01.img"))
        #expect(port.endpoint == SSHEndpoint(user: nil, host: "xen1.example.org", port: 2222))
        let v6 = try #require(try RemoteSource.parse("ssh://root@[2001:db8::1]:22/dev/xvda"))
        #expect(v6.endpoint.host == "2001:db8::1")
        #expect(v6.endpoint.port == 22)
        #expect(try RemoteSource.parse("/dev/vg0/web01") == nil)
    }

    @Test(arguments: [
        "ssh://root@xen1", "ssh://root@xen1/", "ssh://-oProxyCommand=x/dev/sda", "ssh://root@xen1:http/dev/sda",
        "ssh://root@xen1:70000/dev/sda", "ssh://ro;ot@xen1/dev/sda", "ssh://root@xe\u{20}n1/dev/sda", "ssh:///dev/sda",
    ])
    func refusesMalformedURLs(_ text: String) {
        #expect(throws: ConversionError.self) { try RemoteSource.parse(text) }
    }

    @Test func quotesPathsForTheRemoteShell() {
        #expect(Shell.quote("/srv/it's here") == "'/srv/it'\\''s here'")
        #expect(Shell.quote("/dev/$(reboot)") == "'/dev/$(reboot)'")
    }

    /// The fields read from a real mke2fs superblock.
    @Test func readsAnExtSuperblock() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("fs.img")
        try await Fixtures.makeImage(from: Fixtures.tree("debian12-grub2"), at: image, size: "32M")
        let handle = try #require(FileHandle(forReadingAtPath: image))
        try handle.seek(toOffset: 1024)
        let bytes = [UInt8](try #require(try handle.read(upToCount: 1024)))
        let ext = try #require(ExtSuperblock.parse(bytes))
        #expect(ext.bytes == 32 << 20)
        #expect(ext.isClean)
        #expect(ext.usedBytes > 0 && ext.usedBytes < ext.bytes)
        var zeroed = bytes
        zeroed[56] = 0
        #expect(ExtSuperblock.parse(zeroed) == nil)
        var recovering = bytes
        recovering[96] |= 0x4
        #expect(ExtSuperblock.parse(recovering)?.isClean == false)
    }

    static let clean = ExtSuperblock(
        blockSize: 4096, blocks: 16384, freeBlocks: 12000, cleanlyUnmounted: true, hasErrors: false,
        needsRecovery: false)

    @Test func choosesE2imageForACleanExtFilesystem() throws {
        let facts = RemoteFacts(size: 64 << 20, hasE2image: true, ext: Self.clean)
        let choice = try TransportChoice.choose(.auto, facts: facts, host: "xen1")
        #expect(choice.transport == .e2image)
        #expect(choice.streamBytes == 64 << 20)
        #expect(choice.reason.contains("only the used blocks"))
    }

    @Test func choosesDDAndSaysWhy() throws {
        var unclean = Self.clean
        unclean.needsRecovery = true
        let cases: [(RemoteFacts, String)] = [
            (RemoteFacts(size: 64 << 20, hasE2image: true, ext: nil), "not a bare ext filesystem"),
            (RemoteFacts(size: 64 << 20, hasE2image: false, ext: Self.clean), "no e2image on xen1"),
            (RemoteFacts(size: 64 << 20, hasE2image: true, ext: unclean), "a journal to replay"),
            (RemoteFacts(size: 1 << 20, hasE2image: true, ext: Self.clean), "more than the volume"),
        ]
        for (facts, reason) in cases {
            let choice = try TransportChoice.choose(.auto, facts: facts, host: "xen1")
            #expect(choice.transport == .dd)
            #expect(choice.streamBytes == facts.size)
            #expect(choice.reason.contains(reason), "\(choice.reason)")
            #expect(throws: ConversionError.self) { try TransportChoice.choose(.e2image, facts: facts, host: "xen1") }
        }
        let forced = try TransportChoice.choose(
            .dd, facts: RemoteFacts(size: 64 << 20, hasE2image: true, ext: Self.clean), host: "xen1")
        #expect(forced.transport == .dd)
    }

    /// Zero blocks are skipped, data lands at its offset, the size is what was received.
    @Test func writesSparse() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("staging")
        let fd = open(path, O_CREAT | O_RDWR, 0o600)
        var writer = SparseWriter(fd: .init(rawValue: fd), path: path)
        var stream = [UInt8](repeating: 0, count: 3 << 20)
        for index in stride(from: (1 << 20) + 100, to: (1 << 20) + 9000, by: 1) { stream[index] = 0xAB }
        stream[stream.count - 1] = 1
        // In odd pieces, as a pipe delivers them.
        var offset = 0
        while offset < stream.count {
            let length = min(65_521, stream.count - offset)
            try stream[offset..<offset + length].withUnsafeBytes { try writer.append($0) }
            offset += length
        }
        try writer.finish()
        close(fd)
        #expect(writer.received == UInt64(stream.count))
        #expect(writer.written == 3 * 4096 + 4096)
        let back = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(back == stream)
        var status = stat()
        stat(path, &status)
        #expect(Int(status.st_blocks) * 512 <= 64 << 10)
    }
}

/// The backup superblock runs match where libext2fs (dumpe2fs) puts them.
@Suite(.requires(tools: ["mke2fs", "dumpe2fs"]))
struct BackupRunTests {
    @Test(arguments: [
        ["-b", "1024"], ["-b", "4096", "-O", "64bit"], ["-O", "^sparse_super,^resize_inode"], ["-O", "sparse_super2"],
    ])
    func backupsAreWhereDumpe2fsSays(_ options: [String]) async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("fs.img")
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4"] + options + [image, "200M"])
        let handle = try #require(FileHandle(forReadingAtPath: image))
        try handle.seek(toOffset: 1024)
        let raw = try #require(try handle.read(upToCount: 1024))
        let ext = try #require(ExtSuperblock.parse([UInt8](raw)))
        let dump = try await Command.check("dumpe2fs", [image]).stdout
        // "  Backup superblock at 8193, Group descriptors at 8194-8194" and "Reserved GDT blocks at 8195-8450".
        var expected: [Range<UInt64>] = []
        for line in dump.split(separator: "\n") where line.contains("Backup superblock at") {
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { UInt64($0) }
            expected.append(numbers[0]..<(numbers.last! + 1))
        }
        var withReserved: [Range<UInt64>] = []
        let lines = dump.split(separator: "\n")
        for (index, line) in lines.enumerated() where line.contains("Backup superblock at") {
            var end = expected[withReserved.count].upperBound
            if index + 1 < lines.count, lines[index + 1].contains("Reserved GDT blocks at") {
                let numbers = lines[index + 1].split(whereSeparator: { !$0.isNumber }).compactMap { UInt64($0) }
                end = numbers.last! + 1
            }
            withReserved.append(expected[withReserved.count].lowerBound..<end)
        }
        #expect(!withReserved.isEmpty)
        #expect(ext.backupRuns() == withReserved)
    }
}
