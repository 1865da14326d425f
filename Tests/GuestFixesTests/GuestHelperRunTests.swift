import Foundation
import Inspection
import TestSupport
import Testing

@testable import GuestFixes

/// Each profile's bundled helper, run as `fix` runs it (after the edits, with the contract's
/// environment and the prelude, in a chroot of the guest) against its fixture guest, whose
/// stand-in programs are replaced by Fixtures/stand-in-recorder. The calls it recorded must be
/// exactly Fixtures/expected/<fixture>.calls: what that distro needs, nothing else.
@Suite struct GuestHelperRunTests {
    static let guests = GoldenEditTests.guests
    /// Busybox applets the helpers use, in /xen2kvm-test/bin of the chroot (a fixture has no
    /// real programs): a shell and the coreutils a real guest has.
    static let applets = ["sh", "cp", "cat", "sed", "ls", "mkdir", "rm", "test", "["]
    static let path = "/xen2kvm-test/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The copied guest after the edits and the helper, and the calls the helper made.
    static func run(_ guest: GoldenEditTests.Guest, in directory: TemporaryDirectory) async throws -> (
        tree: String, guest: GuestReport, calls: String, output: String
    ) {
        let (tree, root) = try GoldenEditTests.copy(guest, into: directory)
        let report = GuestInspector.inspect(root)
        let context = FixContext(guest: report, profile: guest.profile)
        try GuestEdits.apply(try GuestEdits.plan(root, context: context), to: root)

        try replaceStandIns(in: tree)
        let kit = tree + "/xen2kvm-test"
        try FileManager.default.createDirectory(atPath: kit + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: kit + "/busybox")
        for applet in applets {
            try FileManager.default.createSymbolicLink(
                atPath: "\(kit)/bin/\(applet)", withDestinationPath: "../busybox")
        }
        for folder in ["/dev", "/tmp"] {
            try FileManager.default.createDirectory(atPath: tree + folder, withIntermediateDirectories: true)
        }
        try await Command.check("mknod", ["-m", "666", tree + "/dev/null", "c", "1", "3"])

        try GuestHelper.install(script: GuestHelper.scriptPath(for: guest.profile), profile: guest.profile, in: root)
        var environment = try GuestHelper.environment(context: context, root: root, partitionStart: 2048)
        environment["PATH"] = path
        let run = try await Command.run(
            "chroot", [tree, "/xen2kvm-test/bin/sh", GuestHelper.inside], environment: environment)
        #expect(run.status == 0, "\(guest.fixture): \(run.stdout)\(run.stderr)")
        let calls = (try? String(contentsOfFile: kit + "/calls", encoding: .utf8)) ?? ""
        return (tree, report, calls, run.stdout + run.stderr)
    }

    /// Every fixture program (an executable `# xen2kvm fixture: stand-in for …` script) becomes
    /// the recorder.
    static func replaceStandIns(in tree: String) throws {
        let recorder = try String(
            contentsOfFile: "\(Fixtures.packageRoot)/Fixtures/stand-in-recorder", encoding: .utf8)
        let files = FileManager.default.enumerator(atPath: tree)
        while let relative = files?.nextObject() as? String {
            let path = "\(tree)/\(relative)"
            guard FileManager.default.isExecutableFile(atPath: path),
                (try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular,
                let text = try? String(contentsOfFile: path, encoding: .utf8),
                text.hasPrefix("#!/bin/sh\n# xen2kvm fixture: stand-in for ")
            else { continue }
            try recorder.write(toFile: path, atomically: false, encoding: .utf8)
        }
    }

    @Test(arguments: guests)
    func theHelperCallsWhatTheDistroNeeds(guest: GoldenEditTests.Guest) async throws {
        guard TestEnvironment.require(root: true, tools: ["busybox", "chroot", "mknod"]) else { return }
        let directory = try TemporaryDirectory()
        let (tree, report, calls, output) = try await Self.run(guest, in: directory)
        let expected = try String(
            contentsOfFile: "\(Fixtures.packageRoot)/Fixtures/expected/\(guest.fixture).calls", encoding: .utf8)
        #expect(calls == expected, "\(guest.fixture) helper output:\n\(output)")
        // The Xen-era initrd of every kernel the helper rebuilt is kept beside it.
        for kernel in report.kernels where !kernel.xenOnly && !kernel.version.contains("rescue") {
            guard let initrd = kernel.initrd else { continue }
            #expect(FileManager.default.fileExists(atPath: tree + initrd + ".xen2kvm"), "\(guest.fixture)\(initrd)")
        }
    }
}
