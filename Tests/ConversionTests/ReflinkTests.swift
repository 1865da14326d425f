import Conversion
import Foundation
import TestSupport
import Testing

/// Source and target on one reflink filesystem (XFS here): the used blocks are shared, not
/// copied, and the result is the same disk as a real copy makes, while the source stays as it was.
@Suite struct ReflinkTests {
    /// A new XFS with reflink, loop-mounted for the body, holding an ext4 image of the sample
    /// tree (block size `blockSize`) as `source.img`. The body gets the mount point.
    static func withXFSStore(
        in dir: TemporaryDirectory, blockSize: Int = 4096, _ body: (String) async throws -> Void
    ) async throws {
        let store = dir.file("xfs.img")
        try await Command.check("truncate", ["-s", "1G", store])
        try await Command.check("mkfs.xfs", ["-q", "-m", "reflink=1", store])
        try await Harness.withMount(store, options: "loop", in: dir) { mount in
            try await Harness.makeImage(
                from: try Harness.sampleTree(in: dir), at: "\(mount)/source.img",
                options: ["-t", "ext4", "-b", "\(blockSize)"], size: "64M")
            try await body(mount)
        }
    }

    /// With 4 KiB ext blocks every used run is shared; with 1 KiB blocks the runs' parts that
    /// do not fill a whole XFS block are copied around the shared middle.
    @Test(
        .requires(root: true, tools: ["mkfs.xfs", "mke2fs", "filefrag", "sfdisk"]),
        arguments: [(CopyMethod.blocks, 4096), (.blocks, 1024), (.clone, 4096)])
    func aTargetBesideTheSourceSharesItsBlocks(method: CopyMethod, blockSize: Int) async throws {
        let dir = try TemporaryDirectory()
        try await Self.withXFSStore(in: dir, blockSize: blockSize) { mount in
            let source = "\(mount)/source.img"
            let disk: String
            if method == .clone {
                // A disk that already has a table is cloned whole; its data regions are shared.
                disk = "\(mount)/partitioned.img"
                try await Command.check("truncate", ["-s", "80M", disk])
                try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \"$0\"", disk])
                try await Command.check("dd", ["if=\(source)", "of=\(disk)", "bs=1M", "seek=1", "conv=notrunc,sparse"])
            } else {
                disk = source
            }
            let before = try await sha256(disk)
            let target = "\(mount)/kvm.img"
            let (plan, result) = try await Harness.convert(disk, target) { $0.method = method }

            if blockSize == 4096 {
                #expect(
                    result.bytesShared == result.bytesCopied, "shared \(result.bytesShared) of \(result.bytesCopied)")
                #expect(result.bytesWritten == 0)
            } else {
                #expect(result.bytesShared >= result.bytesCopied / 10 * 9, "shared \(result.bytesShared)")
                #expect(result.bytesWritten > 0)
                #expect(result.bytesShared + result.bytesWritten <= result.bytesCopied)
            }
            #expect(result.bytesShared > 0)
            let extents = try await Command.check("filefrag", ["-v", target]).stdout
            #expect(extents.contains("shared"), "\(extents)")
            #expect(try await sha256(disk) == before, "the source changed")
            if method == .blocks {
                let offset = plan.layout!.partitionOffsetBytes
                #expect(try Harness.usedData(image: target, offset: offset) == Harness.usedData(image: disk))
                #expect(result.fsck?.clean == true)
            } else {
                let compare = try await Command.run("cmp", [disk, target])
                #expect(compare.status == 0, "\(compare.stdout)")
            }
        }
    }

    /// Where the target cannot share (another filesystem), the copy is an ordinary one.
    @Test(.requires(root: true, tools: ["mkfs.xfs", "mke2fs"]))
    func aTargetElsewhereIsCopied() async throws {
        let dir = try TemporaryDirectory()
        try await Self.withXFSStore(in: dir) { mount in
            let source = "\(mount)/source.img"
            let target = dir.file("kvm.img")
            let (plan, result) = try await Harness.convert(source, target)
            #expect(result.bytesShared == 0)
            #expect(result.bytesWritten > 0)
            #expect(
                try Harness.usedData(image: target, offset: plan.layout!.partitionOffsetBytes)
                    == Harness.usedData(image: source))
        }
    }
}
