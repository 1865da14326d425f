import Foundation
import TestSupport
import Testing

/// Damaged sources are refused with the reason, before anything is written.
@Suite struct CorruptedSourceTests {
    @Test(.requires(tools: ["mke2fs"]), arguments: ["truncated", "zeroed-superblock", "empty"])
    func damagedSourceIsRefused(damage: String) async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: source, size: "64M")
        switch damage {
        case "truncated":
            #expect(truncate(source, 20 << 20) == 0)
        case "zeroed-superblock":
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: source))
            try handle.seek(toOffset: 1024)
            try handle.write(contentsOf: Data(count: 1024))
            try handle.close()
        default:
            #expect(truncate(source, 0) == 0)
        }
        let target = dir.file("kvm.img")
        let result = try await Xen2KVMBinary.run(["convert", source, target])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("xen2kvm: refused: "), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
