import Foundation
import Inspection
import TestSupport
import Testing

@testable import GuestFixes

/// Each profile's bundled helper, run as `fix` runs it (after the edits, with the contract's
/// environment and the prelude, in a chroot of the guest) against its fixture guest, whose
/// stand-in programs record their calls (`RecordingGuest`). The calls it recorded must be
/// exactly Fixtures/expected/<fixture>.calls: what that distro needs, nothing else.
@Suite struct GuestHelperRunTests {
    static let guests = GoldenEditTests.guests
    /// The PATH a guest session gives guest programs.
    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The copied guest after the edits and the helper, and the calls the helper made.
    static func run(_ guest: GoldenEditTests.Guest, in directory: TemporaryDirectory) async throws -> (
        tree: String, guest: GuestReport, calls: String, output: String
    ) {
        let (tree, root) = try GoldenEditTests.copy(guest, into: directory)
        let report = GuestInspector.inspect(root)
        let context = FixContext(guest: report, profile: guest.profile)
        try GuestEdits.apply(try GuestEdits.plan(root, context: context), to: root)

        try await RecordingGuest.prepare(tree)
        try GuestHelper.install(script: GuestHelper.scriptPath(for: guest.profile), profile: guest.profile, in: root)
        var environment = try GuestHelper.environment(context: context, root: root, partitionStart: 2048)
        environment["PATH"] = path
        let run = try await Command.run(
            "chroot", [tree, RecordingGuest.shell, GuestHelper.inside], environment: environment)
        #expect(run.status == 0, "\(guest.fixture): \(run.stdout)\(run.stderr)")
        let calls = (try? String(contentsOfFile: tree + RecordingGuest.calls, encoding: .utf8)) ?? ""
        return (tree, report, calls, run.stdout + run.stderr)
    }

    @Test(.requires(root: true, tools: ["busybox", "chroot", "mknod"]), arguments: guests)
    func theHelperCallsWhatTheDistroNeeds(guest: GoldenEditTests.Guest) async throws {
        let directory = try TemporaryDirectory()
        let (tree, report, calls, output) = try await Self.run(guest, in: directory)
        let expected = try RecordingGuest.expectedCalls(guest.fixture)
        #expect(calls == expected, "\(guest.fixture) helper output:\n\(output)")
        // The Xen-era initrd of every kernel the helper rebuilt is kept beside it.
        for kernel in report.kernels where !kernel.xenOnly && !kernel.version.contains("rescue") {
            guard let initrd = kernel.initrd else { continue }
            #expect(FileManager.default.fileExists(atPath: tree + initrd + ".xen2kvm"), "\(guest.fixture)\(initrd)")
        }
    }

    /// The prelude finds the entry that boots the chosen kernel in what grub-mkconfig wrote: by
    /// id, inside Debian's "Advanced options" submenu as `SUBMENU>ENTRY`, by title without an id.
    @Test(.requires(tools: ["busybox"]))
    func thePreludeNamesTheMenuEntryOfAKernel() async throws {
        let directory = try TemporaryDirectory()
        let cfg = directory.file("grub.cfg")
        try """
        function load_video {
          insmod all_video
        }
        menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-U' {
        \tlinux\t/boot/vmlinuz-6.1.0-xen root=UUID=U ro
        }
        submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-U' {
        \tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-xen' $menuentry_id_option 'gnulinux-6.1.0-xen-advanced-U' {
        \t\tlinux\t/boot/vmlinuz-6.1.0-xen root=UUID=U ro
        \t}
        \tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-26-amd64' $menuentry_id_option 'gnulinux-6.1.0-26-amd64-advanced-U' {
        \t\tlinux\t/boot/vmlinuz-6.1.0-26-amd64 root=UUID=U ro
        \t}
        }
        menuentry 'CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)' {
        \tlinux16 /vmlinuz-3.10.0-1160.el7.x86_64 ro
        }

        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        func entry(_ image: String) async throws -> String {
            let script = ". \"$1\"; menu_entry \"$2\" \"$3\""
            let prelude = "\(GuestHelper.helpersDirectory)/prelude"
            let run = try await Command.run("busybox", ["sh", "-c", script, "sh", prelude, image, cfg])
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout
        }
        #expect(try await entry("vmlinuz-6.1.0-26-amd64") == "gnulinux-advanced-U>gnulinux-6.1.0-26-amd64-advanced-U\n")
        #expect(try await entry("vmlinuz-3.10.0-1160.el7.x86_64") == "CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)\n")
        #expect(try await entry("vmlinuz-5.10.0-9-amd64") == "")
    }
}
