import Foundation
import TestSupport
import Testing

/// `convert` with the fixes on, for each family that got its own profile in issue 11: the
/// fixture guest (stand-in programs that record their calls, busybox as /bin/sh) is copied,
/// inspected, edited and its helper run in the guest session. The profile is the distro's, the
/// calls are exactly the golden list GuestHelperRunTests checks in a plain chroot, and neither
/// the helper nor the prelude is left in the guest.
@Suite struct DistroConvertTests {
    static let fixtures = ["rocky9", "fedora", "opensuse", "sles11", "arch", "ubuntu-pvgrub"]
    static let profiles = ["el8", "el8", "suse", "suse", "arch", "debian"]

    @Test(
        .requires(root: true, tools: ["mke2fs", "losetup", "busybox", "mknod", "unshare"]),
        arguments: zip(fixtures, profiles))
    func convertRunsTheDistroHelperInTheGuest(fixture: String, profile: String) async throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree(fixture), toPath: tree)
        try await RecordingGuest.prepare(tree, binSh: true)
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: source, type: fixture == "sles11" ? "ext3" : "ext4")
        let target = dir.file("kvm.img")

        let run = try await Xen2KVMBinary.run(["convert", "--json", "--quiet", source, target])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let fixes = try #require(object?["fixes"] as? [String: Any], "\(run.stdout)")
        #expect(fixes["profile"] as? String == profile)
        #expect((fixes["helper"] as? String)?.hasSuffix("/helpers/\(profile)") == true)
        let programs = (fixes["programs"] as? [[String: Any]]) ?? []
        #expect(programs.first?["exitStatus"] as? Int == 0, "\(programs)")

        #expect(try RecordingGuest.recordedCalls(inImage: target) == RecordingGuest.expectedCalls(fixture))
        for leftover in ["/tmp/xen2kvm-helper", "/tmp/xen2kvm-prelude"] {
            #expect(try !RecordingGuest.exists(leftover, inImage: target), "\(leftover) left in the guest")
        }
    }
}
