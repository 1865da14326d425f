import Foundation
import TestSupport
import Testing

@testable import Inspection

/// initrds are read as the kernel reads them: cpio segments, plain or compressed, concatenated.
@Suite struct InitrdContentsTests {
    /// A minimal newc archive holding empty files with these names.
    static func newc(_ names: [String]) -> [UInt8] {
        var out: [UInt8] = []
        func pad() { while out.count % 4 != 0 { out.append(0) } }
        for (index, name) in (names + ["TRAILER!!!"]).enumerated() {
            let fields = [index + 1, 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, name.utf8.count + 1, 0]
            out += Array("070701".utf8)
            for field in fields { out += Array(String(format: "%08X", field).utf8) }
            out += Array(name.utf8) + [0]
            pad()
        }
        return out
    }

    static func compress(_ bytes: [UInt8], with tool: String, in dir: TemporaryDirectory) async throws -> [UInt8] {
        let input = dir.file("archive.cpio")
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let args = tool == "zstd" ? ["-q", "-f", input] : ["-f", "-k", input]
        try await Command.check(tool, args)
        let suffix = ["gzip": "gz", "xz": "xz", "zstd": "zst"][tool]!
        return Array(try Data(contentsOf: URL(fileURLWithPath: "\(input).\(suffix)")))
    }

    static let modules = [
        "init", "lib/modules/6.1.0/kernel/drivers/block/virtio_blk.ko.zst",
        "lib/modules/6.1.0/kernel/drivers/block/xen-blkfront.ko",
    ]

    @Test func plainArchive() throws {
        let contents = try InitrdContents.read(Self.newc(Self.modules))
        #expect(contents.fileNames == Self.modules)
        #expect(contents.hasModule("virtio_blk"))
        #expect(contents.hasModule("xen-blkfront"))
        #expect(!contents.hasModule("virtio"))
        #expect(contents.compressions == ["none"])
    }

    @Test(arguments: ["gzip", "xz", "zstd"])
    func compressedArchiveAfterMicrocode(tool: String) async throws {
        guard TestEnvironment.require(tools: [tool]) else { return }
        let dir = try TemporaryDirectory()
        var microcode = Self.newc(["kernel/x86/microcode/GenuineIntel.bin"])
        while microcode.count % 512 != 0 { microcode.append(0) }
        let main = try await Self.compress(Self.newc(Self.modules), with: tool, in: dir)
        let contents = try InitrdContents.read(microcode + main)
        #expect(contents.compressions == ["none", tool])
        #expect(contents.fileNames == ["kernel/x86/microcode/GenuineIntel.bin"] + Self.modules)
        #expect(contents.hasModule("virtio_blk"))
    }

    @Test func garbageIsAnErrorNotACrash() {
        #expect(throws: InitrdError.self) { try InitrdContents.read(Array("not an initrd at all".utf8)) }
        let cut = Array(Self.newc(Self.modules).prefix(150))
        #expect(throws: InitrdError.self) { try InitrdContents.read(cut) }
    }

    @Test(.requires(tools: ["gzip"]))
    func truncatedGzipKeepsWhatItCouldRead() async throws {
        let dir = try TemporaryDirectory()
        let names = (0..<200).map { "lib/modules/x/file\($0).ko" }
        let packed = try await Self.compress(Self.newc(names), with: "gzip", in: dir)
        // Never a trap: either an error or a partial list.
        if let contents = try? InitrdContents.read(Array(packed.prefix(packed.count / 2))) {
            #expect(contents.fileNames.count < names.count)
        }
    }
}
