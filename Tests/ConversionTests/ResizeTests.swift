import Conversion
import ExtFS
import Foundation
import TestSupport
import Testing

/// The resize method: a target no bigger than the source (the shell-VM case) gets a shrunken
/// copy; the source is never resized and every file survives.
@Suite struct ResizeTests {
    static func source(_ dir: TemporaryDirectory, type: String = "ext4") async throws -> String {
        let image = dir.file("source.img")
        try await Fixtures.makeImage(
            from: Fixtures.tree("centos6"), at: image, type: type, size: "128M", label: "guestroot")
        return image
    }

    static func scratchLeftovers(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0.hasPrefix("xen2kvm-shrink")
        }
    }

    @Test(.requires(tools: ["mke2fs", "e2fsck", "resize2fs", "sfdisk"]), arguments: ["ext3", "ext4"])
    func sameSizeTargetGetsAShrunkenCopy(type: String) async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir, type: type)
        let before = try await sha256(source)
        let target = dir.file("shell-vm.img")
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        #expect(truncate(target, 128 << 20) == 0)

        let plan = try Planner.plan(ConvertOptions(source: source, target: target))
        #expect(plan.method == .resize)
        #expect(plan.refusal == nil, "\(plan.refusal?.detail ?? "")")
        let result = try await Converter.run(plan, progress: SilentProgress())
        #expect(result.fsck?.clean == true)

        let layout = try #require(plan.layout)
        #expect(layout.diskBytes == 128 << 20)
        let copy = try ExtFilesystem(path: target, offset: layout.partitionOffsetBytes)
        let original = try ExtFilesystem(path: source)
        #expect(copy.facts().uuid == original.facts().uuid)
        #expect(copy.facts().label == "guestroot")
        #expect(UInt64(copy.facts().sizeBytes) <= layout.partitionBytes)
        #expect(
            try guestTreeFingerprint(target, offset: layout.partitionOffsetBytes) == guestTreeFingerprint(source))
        #expect(try await sha256(source) == before, "the source changed")
        #expect(Self.scratchLeftovers(in: dir.path).isEmpty)
    }

    @Test(.requires(tools: ["mke2fs"]))
    func refusesWhenTheFilesystemCannotShrinkThatFar() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let minimum = try ExtFilesystem(path: source).minimumSizeBytes()
        let target = dir.file("tiny.img")
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        #expect(truncate(target, off_t(minimum / 2)) == 0)

        let plan = try Planner.plan(ConvertOptions(source: source, target: target))
        #expect(plan.method == .resize)
        let refusal = try #require(plan.refusal)
        #expect(refusal.name == "filesystem can shrink")
        #expect(refusal.detail.contains("\(minimum)"))
        await #expect(throws: ConversionError.self) { try await Converter.run(plan, progress: SilentProgress()) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)).allSatisfy { $0 == 0 }, "a refused run wrote")
    }

    @Test(.requires(tools: ["mke2fs"]))
    func resizeNeedsAFixedTarget() async throws {
        let dir = try TemporaryDirectory()
        var options = ConvertOptions(source: try await Self.source(dir), target: dir.file("new.img"))
        options.method = .resize
        #expect(throws: ConversionError.self) { try Planner.plan(options) }
        options.targetSize = 100 << 20
        let plan = try Planner.plan(options)
        #expect(plan.refusal == nil)
        #expect(plan.layout?.diskBytes == 100 << 20)
    }

    @Test(.requires(root: true, tools: ["mke2fs", "e2fsck", "resize2fs", "losetup"]))
    func shrinksIntoABlockDevice() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let backing = dir.file("lv.img")
        _ = FileManager.default.createFile(atPath: backing, contents: nil)
        #expect(truncate(backing, 128 << 20) == 0)
        let device = try await Command.check("losetup", ["--find", "--show", backing]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            var options = ConvertOptions(source: source, target: device)
            options.temporaryDirectory = dir.path
            let plan = try Planner.plan(options)
            #expect(plan.method == .resize)
            let result = try await Converter.run(plan, progress: SilentProgress())
            #expect(result.fsck?.clean == true)
            #expect(Self.scratchLeftovers(in: dir.path).isEmpty)
        } catch {
            Issue.record(error)
        }
        try await Command.check("losetup", ["--detach", device])
        let check = try await Command.run("e2fsck", ["-fn", "\(backing)?offset=1048576"])
        #expect(check.status == 0, "\(check.stdout)")
    }
}
