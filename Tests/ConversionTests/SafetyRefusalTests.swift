import Conversion
import Foundation
import TestSupport
import Testing

/// Every refusal happens before a byte is written and says what to do.
@Suite struct SafetyRefusalTests {
    static func source(_ dir: TemporaryDirectory, fixture: String = "centos6") async throws -> String {
        let image = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree(fixture), at: image, size: "64M")
        return image
    }

    /// Plans with `configure` and returns the failed check (or the thrown refusal's text).
    static func refusal(
        _ source: String, _ target: String, _ configure: (inout ConvertOptions) -> Void = { _ in }
    ) -> String? {
        var options = ConvertOptions(source: source, target: target)
        configure(&options)
        do {
            return try Planner.plan(options).refusal.map { "\($0.name): \($0.detail)" }
        } catch {
            return error.description
        }
    }

    @Test func targetIsTheSource() async throws {
        guard TestEnvironment.require(tools: ["mke2fs"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        #expect(Self.refusal(source, source)?.contains("is the source itself") == true)
        let link = dir.file("link.img")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: source)
        #expect(Self.refusal(source, link)?.contains("is the source itself") == true)
        let hard = dir.file("hard.img")
        try FileManager.default.linkItem(atPath: source, toPath: hard)
        #expect(Self.refusal(source, hard)?.contains("is the source itself") == true)
    }

    @Test func targetIsALoopDeviceOverTheSource() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "losetup"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let refusal = try await withReadOnlyLoopDevice(source) { device in Self.refusal(source, device) }
        #expect(refusal?.contains("is the source itself") == true, "\(refusal ?? "no refusal")")
    }

    @Test(arguments: ["ext4", "mbr", "swap"])
    func targetHoldingDataNeedsForce(content: String) async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "sfdisk", "mkswap"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let target = dir.file("target.img")
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        #expect(truncate(target, 80 << 20) == 0)
        switch content {
        case "ext4": try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", target])
        case "mbr": try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(target)"])
        default: try await Command.check("mkswap", [target])
        }
        let before = try await sha256(target)

        let cli = try await Xen2KVMBinary.run(["convert", source, target])
        #expect(cli.status == 2)
        #expect(cli.stderr.contains("--force"), "\(cli.stderr)")
        #expect(try await sha256(target) == before, "a refused run wrote to the target")

        let (plan, result) = try await Harness.convert(source, target) { $0.force = true }
        #expect(plan.refusal == nil)
        #expect(result.fsck?.clean == true)
        let probe = try await Command.check("blkid", ["-p", target]).stdout
        #expect(probe.contains("PTTYPE=\"dos\"") && !probe.contains("swap"), "\(probe)")
    }

    @Test func targetTooSmallForBlocks() async throws {
        guard TestEnvironment.require(tools: ["mke2fs"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let small = dir.file("small.img")
        _ = FileManager.default.createFile(atPath: small, contents: nil)
        #expect(truncate(small, 10 << 20) == 0)
        let refusal = Self.refusal(source, small) { $0.method = .blocks }
        #expect(refusal?.contains("--method resize") == true, "\(refusal ?? "")")
        let sized = Self.refusal(source, dir.file("new.img")) { $0.targetSize = 32 << 20 }
        #expect(sized == nil, "auto shrinks into a too-small --target-size: \(sized ?? "")")
        let blocks = Self.refusal(source, dir.file("new.img")) {
            $0.targetSize = 32 << 20
            $0.method = .blocks
        }
        #expect(blocks?.contains("--target-size") == true)
    }

    @Test func uncleanSourceNeedsForceAndOnlyTheCopyIsRepaired() async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "debugfs", "e2fsck"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        try await Command.check("debugfs", ["-w", "-R", "ssv state 0", source])
        let before = try await sha256(source)
        let target = dir.file("kvm.img")
        #expect(Self.refusal(source, target)?.contains("not clean") == true)
        #expect(!FileManager.default.fileExists(atPath: target))

        let (plan, result) = try await Harness.convert(source, target) { $0.force = true }
        #expect(plan.repairCopy)
        #expect(result.repair != nil)
        #expect(result.fsck?.clean == true)
        #expect(try await sha256(source) == before, "the source was repaired")
    }

    @Test func sourceMountedReadWriteIsRefusedReadOnlyIsNot() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "mount"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let point = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        for (options, refused) in [("loop", true), ("loop,ro", false)] {
            try await Command.check("mount", ["-o", options, source, point])
            let refusal = Self.refusal(source, dir.file("kvm.img"))
            _ = try? await Command.run("umount", [point])
            #expect((refusal?.contains("mounted read-write") == true) == refused, "\(options): \(refusal ?? "none")")
        }
    }

    @Test func grub2GuestWithDosCompatIsRefused() async throws {
        guard TestEnvironment.require(tools: ["mke2fs"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir, fixture: "centos7")
        let refusal = Self.refusal(source, dir.file("kvm.img")) { $0.start = 32 }
        #expect(refusal?.contains("grub2") == true && refusal?.contains("--dos-compat") == true)
        #expect(Self.refusal(source, dir.file("kvm.img")) == nil)
    }

    @Test func impossibleRequestsAreRefused() async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "sfdisk"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let gpt32 = Self.refusal(source, dir.file("a.img")) {
            $0.table = .gpt
            $0.start = 32
        }
        #expect(gpt32?.contains("2048") == true, "\(gpt32 ?? "")")
        #expect(Self.refusal(dir.file("missing.img"), dir.file("b.img"))?.contains("does not exist") == true)
        #expect(Self.refusal(source, dir.path)?.contains("neither a file nor a block device") == true)

        var generator = SystemRandomNumberGenerator()
        let random = dir.file("random.img")
        let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: random))
        #expect(Self.refusal(random, dir.file("c.img"))?.contains("--method clone") == true)

        let partitioned = dir.file("partitioned.img")
        _ = FileManager.default.createFile(atPath: partitioned, contents: nil)
        #expect(truncate(partitioned, 32 << 20) == 0)
        try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(partitioned)"])
        let blocks = Self.refusal(partitioned, dir.file("d.img")) { $0.method = .blocks }
        #expect(blocks?.contains("--method clone") == true, "\(blocks ?? "")")
    }
}

/// Damaged sources are refused with the reason, before anything is written.
@Suite struct CorruptedSourceTests {
    @Test(arguments: ["truncated", "zeroed-superblock", "empty"])
    func damagedSourceIsRefused(damage: String) async throws {
        guard TestEnvironment.require(tools: ["mke2fs"]) else { return }
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
