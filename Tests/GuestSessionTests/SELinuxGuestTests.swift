import Foundation
import TestSupport
import Testing

/// An SELinux guest is left to relabel itself on first boot (/.autorelabel) when its programs
/// run contained (the default: guest root cannot set security.* attributes), and relabelled
/// with its own setfiles at once with --trust-guest.
@Suite struct SELinuxGuestTests {
    @Test(.requires(root: true, tools: ["debootstrap", "mke2fs", "debugfs", "unshare"]))
    func setfilesLabelsTheGuestOrAutorelabelStays() async throws {
        let dir = try TemporaryDirectory(prefix: "xen2kvm-selinux")
        let source = try await XenGuestImages.image(.selinux, in: dir)
        let partition = "?offset=1048576"

        let contained = dir.file("contained.img")
        let edited = try await Xen2KVMBinary.run(["convert", "--json", source, contained])
        #expect(edited.status == 0, "\(edited.stderr)")
        let notRun = try Self.fixes(edited)["notRun"] as? [[String: Any]] ?? []
        let skipped = notRun.first { $0["program"] as? String == "setfiles" }
        #expect((skipped?["reason"] as? String)?.contains("contained") == true, "\(notRun)")
        let marker = try await Command.run("debugfs", ["-R", "stat /.autorelabel", contained + partition])
        #expect(!marker.stderr.contains("not found"), "no /.autorelabel when contained: \(marker.stderr)")

        let fixed = dir.file("fixed.img")
        let run = try await Xen2KVMBinary.run(["convert", "--json", "--trust-guest", source, fixed])
        #expect(run.status == 0, "\(run.stderr)")
        let programs = try Self.fixes(run)["programs"] as? [[String: Any]] ?? []
        let setfiles = programs.first { ($0["program"] as? String)?.hasSuffix("setfiles") == true }
        #expect(setfiles?["exitStatus"] as? Int == 0, "\(programs)")
        let gone = try await Command.run("debugfs", ["-R", "stat /.autorelabel", fixed + partition])
        #expect(gone.stderr.contains("not found"), "/.autorelabel kept after setfiles ran: \(gone.stdout)")
        let label = try await Command.check(
            "debugfs", ["-R", "ea_get /etc/passwd security.selinux", fixed + partition])
        #expect(label.stdout.contains("system_u:object_r:etc_t"), "\(label.stdout)\(label.stderr)")
        // Files the fixes wrote are labelled too (they were written before setfiles ran).
        let fstab = try await Command.check("debugfs", ["-R", "ea_get /etc/fstab security.selinux", fixed + partition])
        #expect(fstab.stdout.contains("etc_t"), "\(fstab.stdout)\(fstab.stderr)")
    }

    static func fixes(_ run: CommandResult) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        return try #require(object?["fixes"] as? [String: Any], "\(run.stdout)")
    }
}
