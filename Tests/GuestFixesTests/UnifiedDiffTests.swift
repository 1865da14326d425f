import Foundation
import GuestFixes
import Inspection
import TestSupport
import Testing

/// `UnifiedDiff.render` against GNU `diff -u` on the same texts: the hunks must be identical
/// (the `---`/`+++` headers differ by design: diff prints file names and timestamps).
@Suite struct UnifiedDiffTests {
    /// `diff -u` of two texts (nil: the file does not exist, compared as /dev/null), without
    /// its two header lines.
    static func gnuHunks(_ before: String?, _ after: String?) async throws -> String {
        let directory = try TemporaryDirectory()
        var paths: [String] = []
        for (name, text) in [("a", before), ("b", after)] {
            guard let text else {
                paths.append("/dev/null")
                continue
            }
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory.file(name)))
            paths.append(directory.file(name))
        }
        let result = try await Command.run("diff", ["-u"] + paths)
        #expect(result.status <= 1, "diff failed: \(result.stderr)")
        return withoutHeader(result.stdout)
    }

    static func withoutHeader(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n")
    }

    static func numbered(_ range: ClosedRange<Int>) -> String {
        range.map { "line \($0)\n" }.joined()
    }

    static func replacing(_ text: String, _ changes: [String: String]) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in lines.indices {
            if let replacement = changes[lines[index]] { lines[index] = replacement }
        }
        return lines.joined(separator: "\n")
    }

    static let cases: [(String, String?, String?)] = [
        ("one line in the middle", numbered(1...20), replacing(numbered(1...20), ["line 10": "line ten"])),
        // Changes 7 unchanged lines apart: two hunks; 6 apart: one.
        (
            "two hunks", numbered(1...30),
            replacing(numbered(1...30), ["line 5": "five", "line 13": "thirteen"])
        ),
        ("one merged hunk", numbered(1...30), replacing(numbered(1...30), ["line 5": "five", "line 12": "twelve"])),
        ("insert at the top", numbered(1...8), "line 0\n" + numbered(1...8)),
        ("delete at the end", numbered(1...8), numbered(1...6)),
        ("append", numbered(1...5), numbered(1...7)),
        ("no newline at the end, before", "a\nb\nc", "a\nb\nc\n"),
        ("no newline at the end, after", "a\nb\nc\n", "a\nB\nc"),
        ("no newline at either end", "a\nb", "a\nc"),
        ("a block replaced by more lines", numbered(1...12), replacing(numbered(1...12), ["line 6": "six\n6\nVI"])),
        ("lines removed and added apart", "a\nb\nc\nd\ne\nf\ng\n", "a\nc\nd\nx\ne\ng\nh\n"),
        ("created", nil, "one\ntwo\n"),
        ("removed", "one\ntwo\nthree\n", nil),
        ("emptied", "one\ntwo\n", ""),
        ("everything different", "a\nb\nc\n", "x\ny\n"),
    ]

    @Test(arguments: cases.indices)
    func hunksMatchGNUDiff(index: Int) async throws {
        let (name, before, after) = Self.cases[index]
        let rendered = UnifiedDiff.render(
            FileChange(path: "/etc/x", before: before, after: after, edit: "t", summary: []))
        let expected = try await Self.gnuHunks(before, after)
        #expect(Self.withoutHeader(rendered) == expected, "\(name)")
    }

    @Test func headersNameTheGuestPath() {
        let edit = UnifiedDiff.render(
            FileChange(path: "/etc/fstab", before: "a\n", after: "b\n", edit: "t", summary: []))
        #expect(edit == "--- a/etc/fstab\n+++ b/etc/fstab\n@@ -1 +1 @@\n-a\n+b\n")
        let created = UnifiedDiff.render(
            FileChange(path: "/.autorelabel", before: nil, after: "", edit: "t", summary: []))
        #expect(created == "--- /dev/null\n+++ b/.autorelabel\n")
        let removed = UnifiedDiff.render(
            FileChange(path: "/etc/blkid.tab", before: "x\n", after: nil, edit: "t", summary: []))
        #expect(removed == "--- a/etc/blkid.tab\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n")
        #expect(UnifiedDiff.render(FileChange(path: "/x", before: "same", after: "same", edit: "t", summary: [])) == "")
    }

    /// Every change the edits plan for the fixture guests, rendered and compared with diff.
    @Test(arguments: ["centos5", "centos6", "centos7", "debian12-grub2", "debian-pygrub-legacy"])
    func fixtureChangesMatchGNUDiff(fixture: String) async throws {
        let root = try GuestRoot(path: Fixtures.tree(fixture))
        let profile = fixture.hasPrefix("debian") ? "debian" : fixture
        let changes = try GuestEdits.plan(
            root, context: FixContext(guest: GuestInspector.inspect(root), profile: profile))
        #expect(!changes.isEmpty)
        for change in changes {
            let expected = try await Self.gnuHunks(change.before, change.after)
            #expect(Self.withoutHeader(UnifiedDiff.render(change)) == expected, "\(fixture) \(change.path)")
        }
    }
}
