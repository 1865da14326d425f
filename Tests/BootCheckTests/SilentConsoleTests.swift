import Foundation
import TestSupport
import Testing

@testable import BootCheck

/// A boot that goes quiet after the bootloader is explained from the disk's own kernel lines.
@Suite struct SilentConsoleTests {
    /// An image of the Debian fixture with its grub.cfg kernel line's console set to `console`.
    static func image(console: String, in dir: TemporaryDirectory) async throws -> String {
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree("debian12-grub2"), toPath: tree)
        let config = "\(tree)/boot/grub/grub.cfg"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: "console=hvc0", with: console).write(
            toFile: config, atomically: false, encoding: .utf8)
        let image = dir.file("disk.img")
        try await Fixtures.makeImage(from: tree, at: image, size: "32M")
        return image
    }

    @Test(.requires(tools: ["mke2fs"]))
    func kernelLinesWithoutASerialConsoleExplainTheSilence() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.image(console: "quiet", in: dir)
        let text = try #require(SilentConsole.diagnosis(disk, stage: .kernel, failure: .timeout))
        #expect(text.contains("no kernel line on the disk names a serial console"), "\(text)")
        #expect(text.contains("/boot/grub/grub.cfg:"), "\(text)")
        // Only a boot that timed out after the bootloader is explained this way.
        #expect(SilentConsole.diagnosis(disk, stage: .firmware, failure: .timeout) == nil)
        #expect(SilentConsole.diagnosis(disk, stage: .kernel, failure: .kernelPanic) == nil)
    }

    @Test(.requires(tools: ["mke2fs"]))
    func aSerialConsoleOnTheKernelLineIsNoExplanation() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.image(console: "console=ttyS0,115200", in: dir)
        #expect(SilentConsole.diagnosis(disk, stage: .kernel, failure: .timeout) == nil)
    }
}
