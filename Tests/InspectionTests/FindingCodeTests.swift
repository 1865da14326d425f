import Foundation
import TestSupport
import Testing

@testable import Inspection

/// Finding codes are for scripts: README lists every one inspection can report, and lists no
/// code inspection does not have.
@Suite struct FindingCodeTests {
    /// README's list of finding codes: the inspect section's "Findings" item, its lines up to
    /// the first blank one.
    static func readmeList() throws -> String {
        let readme = try String(contentsOfFile: "\(Fixtures.packageRoot)/README.md", encoding: .utf8)
        let start = try #require(readme.range(of: "- **Findings**"), "README has no Findings list")
        let end = try #require(readme[start.upperBound...].range(of: "\n\n"))
        return String(readme[start.upperBound..<end.lowerBound])
    }

    /// The `quoted` words of a text.
    static func quoted(_ text: String) -> Set<String> {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return Set(stride(from: 1, to: parts.count, by: 2).map { String(parts[$0]) })
    }

    @Test func readmeListsEveryFindingCode() throws {
        let listed = Self.quoted(try Self.readmeList())
        for code in FindingCode.allCases {
            #expect(listed.contains(code.rawValue), "README's list of finding codes lacks `\(code.rawValue)`")
        }
    }

    @Test func readmeListsNoCodeInspectionLacks() throws {
        let known = Set(FindingCode.allCases.map(\.rawValue))
        let severities = Set(["blocker", "warning", "info"])
        let codeLike = Self.quoted(try Self.readmeList()).filter {
            $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }
        }
        #expect(codeLike.count > 20)
        for word in codeLike.subtracting(severities) {
            #expect(known.contains(word), "README lists `\(word)`, which is no FindingCode")
        }
    }
}
