import Foundation
import TestSupport
import Testing

/// `inspect` and `convert` read the source in a contained child (`xen2kvm parse-image`): a
/// crash or a hang there, as a C library may have on a hostile image, is "the image is
/// damaged", exit 1, nothing written — never a signal; and the child can neither start a
/// program, open the network, fork, nor write or change a file.
@Suite struct ParserChildTests {
    static func image(_ dir: TemporaryDirectory) async throws -> String {
        let image = dir.file("web01.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: image)
        return image
    }

    @Test(arguments: ["inspect", "convert --dry-run", "convert"])
    func aCrashingParserIsADamagedImage(_ command: String) async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.image(dir)
        let target = dir.file("kvm.img")
        let arguments =
            command.split(separator: " ").map(String.init) + [image] + (command == "inspect" ? [] : [target])
        let run = try await Xen2KVMBinary.run(arguments, environment: ["XEN2KVM_TEST_PARSER": "crash"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("the image is damaged: reading it crashed"), "\(run.stderr)")
        #expect(run.stderr.contains("e2fsck -fn"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func aHangingParserIsStoppedAndADamagedImage() async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.image(dir)
        let started = Date()
        let run = try await Xen2KVMBinary.run(
            ["inspect", image], environment: ["XEN2KVM_TEST_PARSER": "hang", "XEN2KVM_PARSER_TIMEOUT": "2"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("did not finish in 2 s"), "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func theParserCannotExecForkConnectOrWrite() async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.image(dir)
        let run = try await Xen2KVMBinary.run(
            ["parse-image", "inspect", image], environment: ["XEN2KVM_TEST_PARSER": "probe"])
        #expect(run.status == 0, "\(run.stderr)")
        for attempt in ["exec", "socket", "open-for-writing", "unlink", "fork"] {
            #expect(run.stderr.contains("probe \(attempt): Operation not permitted"), "\(run.stderr)")
        }
        // And it still answers: the inspection itself needs none of it.
        #expect(run.stdout.contains("xen2kvm-parse-result: {\"value\""), "\(run.stdout.prefix(300))")
    }
}
