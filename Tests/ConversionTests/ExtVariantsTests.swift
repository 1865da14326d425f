import Conversion
import Foundation
import TestSupport
import Testing

/// The blocks path on the ext variants real guests have; each copy is fsck-clean and holds
/// exactly the source's used data.
@Suite struct ExtVariantsTests {
    static let variants: [[String]] = [
        ["-t", "ext2", "-b", "1024"],
        ["-t", "ext3", "-I", "128"],
        ["-t", "ext4"],
        ["-t", "ext4", "-O", "^64bit,^metadata_csum"],
        ["-t", "ext4", "-O", "^flex_bg"],
        ["-t", "ext4", "-O", "uninit_bg,^metadata_csum"],
        ["-t", "ext4", "-O", "meta_bg,^resize_inode"],
        ["-t", "ext4", "-O", "bigalloc", "-C", "65536"],
        ["-t", "ext4", "-O", "inline_data"],
        ["-t", "ext4", "-O", "mmp"],
    ]

    @Test(arguments: variants)
    func blocksCopyIsCleanAndIdentical(options: [String]) async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "e2fsck"]) else { return }
        let dir = try TemporaryDirectory()
        let tree = try Convert.sampleTree(in: dir)
        let source = dir.file("source.img")
        try await Command.check("mke2fs", ["-q", "-F", "-d", tree] + options + [source, "48M"])
        let target = dir.file("kvm.img")
        let (plan, result) = try await Convert.run(source, target)
        #expect(plan.method == .blocks)
        #expect(result.fsck?.clean == true, "\(result.fsck?.output ?? "")")
        let offset = try #require(plan.layout?.partitionOffsetBytes)
        let original = try Convert.usedData(source)
        let copy = try Convert.usedData(target, offset: offset)
        #expect(copy.runs == original.runs)
        #expect(copy.hash == original.hash)
        #expect(try guestTreeFingerprint(target, offset: offset) == guestTreeFingerprint(source))
    }
}
