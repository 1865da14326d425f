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
        var attempts = ["exec", "socket", "open-for-writing", "unlink", "fork"]
        #if arch(x86_64)
            attempts.append("x32")  // a call through x86-64's x32 ABI
        #endif
        for attempt in attempts {
            #expect(run.stderr.contains("probe \(attempt): Operation not permitted"), "\(run.stderr)")
        }
        // And it still answers: the inspection itself needs none of it.
        #expect(run.stdout.contains("xen2kvm-parse-result: {\"value\""), "\(run.stdout.prefix(300))")
    }

    /// The copy's used-block runs are read in the child too (`parse-image runs`): a crash there
    /// fails the copy as a damaged image, after planning went well, and leaves no target.
    @Test(arguments: ["blocks", "resize"])
    func aCrashReadingTheCopyRunsIsADamagedImage(_ method: String) async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.image(dir)
        let target = dir.file("kvm.img")
        let sizing = method == "resize" ? ["--target-size", "48M"] : []
        let run = try await Xen2KVMBinary.run(
            ["convert", "--no-fix", "--method", method] + sizing + [image, target],
            environment: ["XEN2KVM_TEST_PARSER": "crash@runs"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("the image is damaged: reading it crashed"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// The runs the child hands over make the same copy: e2fsck finds it clean, and its
    /// files are the source's.
    @Test(.requires(root: true, tools: ["debugfs"]))
    func theCopyFromTheChildsRunsIsWhole() async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.image(dir)
        let target = dir.file("kvm.img")
        let run = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", image, target])
        #expect(run.status == 0, "\(run.stderr)")
        let source = try await Command.check("debugfs", ["-R", "cat /etc/fstab", image]).stdout
        let copy = try await Command.check("debugfs", ["-R", "cat /etc/fstab", "\(target)?offset=1048576"]).stdout
        #expect(!source.isEmpty && copy == source)
    }

    /// `fix` inspects the mounted guest in the child (`parse-image guest`): a crash there is a
    /// damaged image, exit 1, and the guest is not edited.
    @Test(.requires(root: true, tools: ["debugfs"]))
    func aCrashInspectingTheMountedGuestIsADamagedImage() async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.image(dir)
        let target = dir.file("kvm.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", image, target])
        #expect(copied.status == 0, "\(copied.stderr)")
        let before = try await Command.check("debugfs", ["-R", "cat /etc/fstab", "\(target)?offset=1048576"]).stdout
        let run = try await Xen2KVMBinary.run(
            ["fix", "--edits-only", target], environment: ["XEN2KVM_TEST_PARSER": "crash@guest"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("the image is damaged: reading it crashed"), "\(run.stderr)")
        let after = try await Command.check("debugfs", ["-R", "cat /etc/fstab", "\(target)?offset=1048576"]).stdout
        #expect(after == before)
        // Without the crash the same child's inspection drives the fixes.
        let fixed = try await Xen2KVMBinary.run(["fix", "--edits-only", target])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.stdout.contains("centos"), "\(fixed.stdout)")
    }

    /// In the child the guest is the whole filesystem: a guest symlink that climbs out of its
    /// root reads the guest's own (absent) file, never the host file beside the root.
    @Test(.requires(root: true))
    func theGuestChildSeesOnlyTheGuest() async throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("root")
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try "ID=hostmarker\nVERSION_ID=7\nPRETTY_NAME=\"Host Marker\"\n".write(
            toFile: dir.file("os-release"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/etc/os-release", withDestinationPath: "../../os-release")
        let run = try await Xen2KVMBinary.run(["parse-image", "guest", root])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("xen2kvm-parse-result: {\"value\""), "\(run.stdout.prefix(300))")
        #expect(!run.stdout.contains("hostmarker"), "\(run.stdout.prefix(600))")
    }
}
