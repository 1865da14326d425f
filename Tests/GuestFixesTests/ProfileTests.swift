import Foundation
import Inspection
import TestSupport
import Testing

@testable import GuestFixes

/// Which profile `--profile auto` picks, and the two ways the BLS entries of an EL8+ guest change.
@Suite struct ProfileTests {
    /// Every fixture guest gets the profile its golden files were made with.
    @Test(arguments: GoldenEditTests.guests)
    func eachFixtureGetsItsProfile(guest: GoldenEditTests.Guest) throws {
        let root = try GuestRoot(path: Fixtures.tree(guest.fixture))
        #expect(Profile.detect(GuestInspector.inspect(root)) == guest.profile)
    }

    @Test func distroAndMajorVersionPickTheProfile() throws {
        let root = try GuestRoot(path: Fixtures.tree("rocky9"))
        var guest = GuestInspector.inspect(root)
        let table: [(String, String, String)] = [
            ("rhel", "8.9", "el8"), ("almalinux", "9.3", "el8"), ("centos", "9", "el8"), ("ol", "8.9", "el8"),
            ("rocky", "9.3", "el8"), ("centos", "7.9.2009", "centos7"), ("scientific", "6.10", "centos6"),
            ("fedora", "39", "el8"), ("fedora", "28", "centos7"), ("fedora", "17", "none"),
            ("opensuse-leap", "15.5", "suse"), ("opensuse-tumbleweed", "20240101", "suse"), ("sles", "11.4", "suse"),
            ("sles", "15.5", "suse"), ("arch", "", "arch"), ("ubuntu", "16.04", "debian"), ("gentoo", "2.14", "none"),
        ]
        for (distro, version, profile) in table {
            (guest.distro, guest.version) = (distro, version)
            #expect(Profile.detect(guest) == profile, "\(distro) \(version)")
        }
        #expect(Set(table.map(\.2)).subtracting(Profile.all).isEmpty)
    }

    /// With grubby and its helper, the entries are left to grubby; the words it is given turn
    /// each entry's options into what the file edit writes with --edits-only.
    @Test func grubbyAndTheFileEditAgree() throws {
        let directory = try TemporaryDirectory()
        let (_, tree) = try GoldenEditTests.copy(.init(fixture: "rocky9", profile: "el8"), into: directory)
        let root = GuestView(tree)
        var context = FixContext(guest: GuestInspector.inspect(tree), profile: "el8")
        #expect(BootLoaderSpecEdit.grubbyUpdates(root, context: context))
        let entries = BootLoaderSpec.entryFiles(tree)
        #expect(entries.count == 1)
        let withGrubby = try BootLoaderSpecEdit().changes(in: root, context: context)
        #expect(withGrubby.map(\.path) == [BootLoaderSpec.kernelCmdline])
        let (add, remove) = try BootLoaderSpecEdit.grubbyArguments(root, context: context)

        context.runsGuestPrograms = false
        #expect(!BootLoaderSpecEdit.grubbyUpdates(root, context: context))
        let edited = try BootLoaderSpecEdit().changes(in: root, context: context)
        #expect(Set(edited.map(\.path)) == Set(entries + [BootLoaderSpec.kernelCmdline]))
        let options = { (text: String?) in
            TextLines.split(text ?? "").compactMap(BootLoaderSpecEdit.entryOptions).map { Words($0.arguments).words }
        }
        let entry = try #require(edited.first { $0.path == entries[0] })
        let before = try #require(options(entry.before).first)
        let after = try #require(options(entry.after).first)
        // grubby removes the words asked, then every word with a key it is given, then appends.
        let keys = Set(add.map { $0.prefix { $0 != "=" } })
        let byGrubby = before.filter { !remove.contains($0) && !keys.contains($0.prefix { $0 != "=" }) } + add
        #expect(Set(byGrubby) == Set(after), "grubby: \(byGrubby)\nfile edit: \(after)")
        #expect(after.contains("console=ttyS0,115200") && after.contains("root=/dev/vda1"))
    }
}
