import Foundation
import GuestFixes
import Inspection
import TestSupport
import Testing

/// Every built-in edit on a copy of each fixture guest, compared with the hand-written result in
/// Fixtures/expected/<fixture>/ (the complete text of each file the edits change or create) and
/// Fixtures/expected/<fixture>.removed (the files they delete, one guest path a line).
@Suite struct GoldenEditTests {
    struct Guest: Sendable, CustomStringConvertible {
        var fixture: String
        var profile: String
        var description: String { fixture }
    }

    static let guests = [
        Guest(fixture: "centos5", profile: "centos5"),
        Guest(fixture: "centos6", profile: "centos6"),
        Guest(fixture: "centos7", profile: "centos7"),
        Guest(fixture: "debian12-grub2", profile: "debian"),
        Guest(fixture: "debian-pygrub-legacy", profile: "debian"),
        Guest(fixture: "rocky9", profile: "el8"),
        Guest(fixture: "fedora", profile: "el8"),
        Guest(fixture: "opensuse", profile: "suse"),
        Guest(fixture: "sles11", profile: "suse"),
        Guest(fixture: "arch", profile: "arch"),
        Guest(fixture: "ubuntu-pvgrub", profile: "debian"),
    ]

    static func expected(_ fixture: String) throws -> (files: [String: TreeEntry], removed: [String]) {
        let base = "\(Fixtures.packageRoot)/Fixtures/expected/\(fixture)"
        let files = try treeSnapshot(base).filter { $0.value != .directory }
        let removedList = (try? String(contentsOfFile: base + ".removed", encoding: .utf8)) ?? ""
        let removed = removedList.split(separator: "\n").map(String.init)
        return (files, removed)
    }

    /// A copy of the fixture tree (symlinks stay symlinks) and the context the edits get.
    static func copy(_ guest: Guest, into directory: TemporaryDirectory) throws -> (tree: String, root: GuestRoot) {
        let tree = directory.file("guest")
        try FileManager.default.copyItem(atPath: Fixtures.tree(guest.fixture), toPath: tree)
        return (tree, try GuestRoot(path: tree))
    }

    @Test(arguments: guests)
    func editedTreeMatchesTheExpectedFiles(guest: Guest) throws {
        let directory = try TemporaryDirectory()
        let (tree, root) = try Self.copy(guest, into: directory)
        let original = try treeSnapshot(Fixtures.tree(guest.fixture))
        #expect(try treeSnapshot(tree) == original, "the copy differs from the fixture")
        let (expected, removed) = try Self.expected(guest.fixture)
        #expect(!expected.isEmpty)

        let context = FixContext(guest: GuestInspector.inspect(root), profile: guest.profile)
        let changes = try GuestEdits.plan(root, context: context)
        try GuestEdits.apply(changes, to: root)
        let result = try treeSnapshot(tree)

        for (path, entry) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(result[path] == entry, "\(guest.fixture)\(path)")
        }
        for path in removed {
            #expect(original[path] != nil, "\(guest.fixture)\(path) is listed as removed but is not in the fixture")
            #expect(result[path] == nil, "\(guest.fixture)\(path) should be removed")
        }
        for (path, entry) in original.sorted(by: { $0.key < $1.key })
        where expected[path] == nil && !removed.contains(path) {
            #expect(result[path] == entry, "\(guest.fixture)\(path) changed")
        }
        for path in result.keys.sorted() where original[path] == nil && expected[path] == nil {
            Issue.record("\(guest.fixture)\(path) was created but is not expected")
        }
        // One change per file: the symlinked names of a config are not edited twice.
        let paths = changes.map(\.path)
        #expect(Set(paths).count == paths.count, "\(paths)")
        #expect(Set(paths) == Set(expected.keys).union(removed), "\(paths.sorted())")

        // Idempotent, with the same facts and with the facts of the edited guest.
        #expect(try GuestEdits.plan(root, context: context) == [])
        let reinspected = FixContext(guest: GuestInspector.inspect(root), profile: guest.profile)
        #expect(try GuestEdits.plan(root, context: reinspected) == [])
    }

    /// Planning writes nothing: the tree is untouched until `apply`.
    @Test(arguments: guests)
    func planningWritesNothing(guest: Guest) throws {
        let directory = try TemporaryDirectory()
        let (tree, root) = try Self.copy(guest, into: directory)
        let before = try treeSnapshot(tree)
        let changes = try GuestEdits.plan(
            root, context: FixContext(guest: GuestInspector.inspect(root), profile: guest.profile))
        #expect(!changes.isEmpty)
        #expect(try treeSnapshot(tree) == before)
    }

    @Test func everyEditHasAUniqueNameAndRunsInTheDocumentedOrder() {
        let names = GuestEdits.all.map(\.name)
        #expect(
            names == [
                "fstab", "crypttab", "resume", "grub-legacy", "grub2-defaults", "grub2-config", "bls",
                "sysconfig-bootloader", "console", "systemd-console", "modprobe", "sysconfig-kernel",
                "initrd-modules", "network", "stale-caches", "selinux-relabel",
            ])
        #expect(Set(names).count == names.count)
    }
}
