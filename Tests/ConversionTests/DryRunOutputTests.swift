import Foundation
import TestSupport
import Testing

/// `--dry-run` shows the whole plan and writes nothing.
@Suite struct DryRunOutputTests {
    @Test func dryRunPrintsThePlanAndWritesNothing() async throws {
        guard TestEnvironment.require(tools: ["mke2fs"]) else { return }
        let dir = try TemporaryDirectory()
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos5"), at: source, type: "ext3", size: "64M")
        let target = dir.file("kvm.img")
        let text = try await Xen2KVMBinary.run(["convert", "--dry-run", "--dos-compat", source, target])
        #expect(text.status == 0, "\(text.stderr)")
        for word in [
            "dry run", "method   blocks", "sector 32", "copy ", "target holds no data", "source filesystem clean",
        ] {
            #expect(text.stdout.contains(word), "\(word)")
        }
        #expect(!FileManager.default.fileExists(atPath: target))

        let json = try await Xen2KVMBinary.run(["convert", "--dry-run", "--json", "--table", "gpt", source, target])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let plan = try #require(object?["plan"] as? [String: Any])
        #expect(plan["method"] as? String == "blocks")
        #expect((plan["layout"] as? [String: Any])?["table"] as? String == "gpt")
        #expect((plan["bytesToCopy"] as? Int ?? 0) > 0)
        #expect((plan["checks"] as? [Any])?.isEmpty == false)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func refusingDryRunExitsTwoAndLeavesTheTarget() async throws {
        guard TestEnvironment.require(tools: ["mke2fs"]) else { return }
        let dir = try TemporaryDirectory()
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: source, size: "64M")
        let target = dir.file("other.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos7"), at: target, size: "80M")
        let before = try await sha256(target)
        let result = try await Xen2KVMBinary.run(["convert", "--dry-run", source, target])
        #expect(result.status == 2)
        #expect(result.stdout.contains("FAIL target holds no data"))
        #expect(result.stderr.contains("would refuse"))
        #expect(try await sha256(target) == before)
    }

    @Test func jsonResultOfARealRun() async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "e2fsck"]) else { return }
        let dir = try TemporaryDirectory()
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree("debian12-grub2"), at: source, size: "64M")
        let run = try await Xen2KVMBinary.run(["convert", "--json", "--no-fix", source, dir.file("kvm.img")])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let result = try #require(object?["result"] as? [String: Any])
        #expect(result["method"] as? String == "blocks")
        #expect((result["fsck"] as? [String: Any])?["clean"] as? Bool == true)
        #expect((result["bytesCopied"] as? Int ?? 0) > 0)
        #expect(run.stderr.isEmpty, "JSON mode printed progress: \(run.stderr)")
    }
}
