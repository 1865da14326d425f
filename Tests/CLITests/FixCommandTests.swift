import Foundation
import TestSupport
import Testing

/// `fix`, and the guest fixes `convert` runs after copying.
@Suite struct FixCommandTests {
    static func image(
        _ fixture: String, _ dir: TemporaryDirectory, removing: [String] = [], size: String = "64M"
    ) async throws -> String {
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree(fixture), toPath: tree)
        for path in removing { try FileManager.default.removeItem(atPath: tree + path) }
        let image = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: image, type: "ext3", size: size)
        return image
    }

    /// A guest whose /boot cannot hold the rebuilt initrds beside the kept ones is refused
    /// before any file is edited, saying how much room it needs.
    @Test(.requires(root: true, tools: ["mke2fs", "debugfs"]))
    func aFullBootIsRefusedBeforeAnyEdit() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.image("centos6", dir, size: "12M")
        let target = dir.file("kvm.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, target])
        #expect(copied.status == 0, "\(copied.stderr)")
        let before = try await Command.check("debugfs", ["-R", "cat /etc/fstab", "\(target)?offset=1048576"]).stdout
        let refused = try await Xen2KVMBinary.run(["fix", target])
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("MiB free, and rebuilding"), "\(refused.stderr)")
        let after = try await Command.check("debugfs", ["-R", "cat /etc/fstab", "\(target)?offset=1048576"]).stdout
        #expect(after == before, "the guest was edited before the refusal")
        let edits = try await Xen2KVMBinary.run(["fix", "--edits-only", target])
        #expect(edits.status == 0, "\(edits.stderr)")
    }

    /// The fixture converted with --no-fix: a partitioned disk whose guest is still Xen's.
    static func convertedUnfixed(_ fixture: String, _ dir: TemporaryDirectory) async throws -> String {
        let source = try await image(fixture, dir)
        let target = dir.file("kvm.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, target])
        #expect(copied.status == 0, "\(copied.stderr)")
        return target
    }

    @Test(.requires(root: true, tools: ["mke2fs"]))
    func onlyXenKernelsIsRefusedBeforeWriting() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.image(
            "centos5", dir,
            removing: [
                "/boot/vmlinuz-2.6.18-419.el5", "/boot/config-2.6.18-419.el5", "/boot/initrd-2.6.18-419.el5.img",
            ])
        let target = dir.file("kvm.img")
        let refused = try await Xen2KVMBinary.run(["convert", source, target])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("yum install kernel"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, target])
        #expect(copied.status == 0, "\(copied.stderr)")
    }

    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func convertRunsTheFixesAndFixChangesNothingAfterwards() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.image("centos6", dir)
        let before = try await sha256(source)
        let target = dir.file("kvm.img")
        let converted = try await Xen2KVMBinary.run(["convert", "--json", "--edits-only", source, target])
        #expect(converted.status == 0, "\(converted.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(converted.stdout.utf8)) as? [String: Any]
        let fixes = try #require(object?["fixes"] as? [String: Any])
        #expect(fixes["profile"] as? String == "centos6")
        #expect((fixes["edits"] as? [Any])?.isEmpty == false)
        #expect(try await sha256(source) == before)

        let again = try await Xen2KVMBinary.run(["fix", "--dry-run", "--edits-only", target])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("no file needs a change"), "\(again.stdout)")
        let loops = try await loopLeftovers(matching: target)
        #expect(loops.isEmpty, "\(loops)")
    }

    /// A binary laid out as `make install` does (PREFIX/bin/xen2kvm beside
    /// PREFIX/lib/xen2kvm/helpers) runs the helpers installed with it, not the source tree's.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func anInstalledBinaryUsesTheHelpersInstalledWithIt() async throws {
        let dir = try TemporaryDirectory()
        let target = try await Self.convertedUnfixed("centos6", dir)

        let prefix = dir.file("prefix")
        try FileManager.default.createDirectory(atPath: "\(prefix)/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(prefix)/lib/xen2kvm", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Xen2KVMBinary.path, toPath: "\(prefix)/bin/xen2kvm")
        try FileManager.default.copyItem(
            atPath: "\(Fixtures.packageRoot)/helpers", toPath: "\(prefix)/lib/xen2kvm/helpers")

        for (binary, helpers) in [
            ("\(prefix)/bin/xen2kvm", "\(prefix)/lib/xen2kvm/helpers"),
            (Xen2KVMBinary.path, "\(Fixtures.packageRoot)/helpers"),
        ] {
            let run = try await Command.run(binary, ["fix", "--dry-run", "--json", target])
            #expect(run.status == 0, "\(run.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect(object?["helper"] as? String == "\(helpers)/centos6", "\(run.stdout)")
        }
    }

    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func fixDryRunShowsDiffsAndWritesNothing() async throws {
        let dir = try TemporaryDirectory()
        let target = try await Self.convertedUnfixed("centos5", dir)
        let before = try await sha256(target)
        let dry = try await Xen2KVMBinary.run(["fix", "--dry-run", target])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("--- a/etc/fstab") || dry.stdout.contains("--- a//etc/fstab"), "\(dry.stdout)")
        #expect(dry.stdout.contains("+/dev/vda1"), "\(dry.stdout)")
        #expect(dry.stdout.contains("not run: bootloader (--dry-run)"))
        #expect(try await sha256(target) == before, "a dry run wrote to the disk")
    }
}
