import Foundation
import GuestFixes
import TestSupport
import Testing

@testable import Inspection

/// What inspection's findings promise `convert` writes is what the edits plan on the same
/// guest: both follow one device mapping and one console rule, so the words cannot drift from
/// the behaviour. Each fixture is read in place (no image, no root), for both placements convert
/// makes (a bare filesystem in a new partition 1, a cloned partitioned disk).
@Suite struct PromisedEditsTests {
    static let placements: [GuestPlacement] = [.newPartitionOne, .clonedDisk(guestPartition: 1)]

    static func findingsAndPlan(
        _ fixture: String, placement: GuestPlacement
    ) throws -> (findings: [Finding], changes: [FileChange]) {
        let root = try GuestRoot(path: Fixtures.tree(fixture))
        let guest = GuestInspector.inspect(root)
        let context = FixContext.forFix(
            guest: guest, profile: "auto", deviceMap: placement.deviceMap, partitionTable: "mbr", editsOnly: true)
        return (GuestChecks.findings(for: guest, placement: placement), try GuestEdits.plan(root, context: context))
    }

    /// The words after "convert writes " up to the end or a parenthesis.
    static func promisedWords(_ message: String) -> [String] {
        guard let range = message.range(of: "convert writes ") else { return [] }
        let rest = message[range.upperBound...]
        let end = rest.range(of: " (")?.lowerBound ?? rest.range(of: " and ")?.lowerBound ?? rest.endIndex
        return rest[..<end].split(separator: " ").map(String.init)
    }

    @Test(arguments: GoldenEditTests.guests.map(\.fixture), placements)
    func fstabFindingsSayWhatTheFstabEditWrites(fixture: String, placement: GuestPlacement) throws {
        let (findings, changes) = try Self.findingsAndPlan(fixture, placement: placement)
        let fstab = findings.filter { $0.code == FindingCode.xvdInFstab.rawValue }
        guard !fstab.isEmpty else { return }
        let change = try #require(changes.first { $0.path == "/etc/fstab" }, "\(fixture): no fstab edit planned")
        let lines = (change.after ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        for finding in fstab {
            let number = try #require(Int(finding.message.dropFirst("/etc/fstab:".count).prefix(while: \.isNumber)))
            let written = lines[number - 1]
            let promised = Self.promisedWords(finding.message)
            if let device = promised.first {
                #expect(
                    written.split(whereSeparator: \.isWhitespace).first.map(String.init) == device,
                    "\(fixture): \(finding.message) — the edit writes `\(written)`")
            } else if finding.message.contains("comment it out") {
                #expect(written.hasPrefix("#"), "\(fixture): \(finding.message) — the edit writes `\(written)`")
            } else {
                Issue.record("\(fixture): \(finding.message) promises nothing the test can check")
            }
        }
    }

    @Test(arguments: GoldenEditTests.guests.map(\.fixture), placements)
    func commandLineFindingsSayWhatTheBootloaderEditsWrite(fixture: String, placement: GuestPlacement) throws {
        let (findings, changes) = try Self.findingsAndPlan(fixture, placement: placement)
        let written = changes.compactMap(\.after).joined(separator: "\n")
        let codes = [FindingCode.xvdInKernelCmdline, .xenConsole].map(\.rawValue)
        for finding in findings where codes.contains(finding.code) {
            let promised = Self.promisedWords(finding.message)
            #expect(!promised.isEmpty, "\(fixture): \(finding.message)")
            for word in promised {
                #expect(written.contains(word), "\(fixture): \(finding.message) — no edit writes \(word)")
            }
        }
    }

    @Test func interfaceNameFindingsSayWhatTheBootloaderEditsAdd() throws {
        var checked = 0
        for fixture in GoldenEditTests.guests.map(\.fixture) {
            let (findings, changes) = try Self.findingsAndPlan(fixture, placement: .newPartitionOne)
            guard let finding = findings.first(where: { $0.code == FindingCode.interfaceNames.rawValue }) else {
                continue
            }
            let promised = try #require(finding.message.range(of: "convert adds ")).upperBound
            let words = String(finding.message[promised...]).components(separatedBy: " to ")[0]
            let written = changes.compactMap(\.after).joined(separator: "\n")
            for word in words.split(separator: " ") {
                #expect(written.contains(word), "\(fixture): \(finding.message) — no edit adds \(word)")
            }
            checked += 1
        }
        #expect(checked > 0, "no fixture has an interface-names finding to check")
    }

    /// A cloned partitioned disk keeps the root disk's other partitions: the swap on xvda2 is
    /// vda2 there, and inspection says so instead of promising to comment it out.
    @Test func aClonedDiskKeepsItsOtherPartitions() throws {
        let (findings, _) = try Self.findingsAndPlan("debian12-grub2", placement: .clonedDisk(guestPartition: 1))
        let swap = try #require(findings.first { $0.code == "xvd-in-fstab" && $0.message.contains("/dev/xvda2") })
        #expect(swap.message.hasSuffix("a partition of this disk; convert writes /dev/vda2"), "\(swap.message)")
        let (bare, _) = try Self.findingsAndPlan("debian12-grub2", placement: .newPartitionOne)
        let separate = try #require(bare.first { $0.code == "xvd-in-fstab" && $0.message.contains("/dev/xvda2") })
        #expect(separate.message.contains("comment it out"), "\(separate.message)")
    }

    /// Every finding inspection makes of a fixture carries a code `FindingCode` lists (which
    /// README's list is checked against).
    @Test(arguments: GoldenEditTests.guests.map(\.fixture))
    func everyFindingCodeIsAKnownOne(fixture: String) throws {
        let known = Set(FindingCode.allCases.map(\.rawValue))
        let (findings, _) = try Self.findingsAndPlan(fixture, placement: .newPartitionOne)
        #expect(!findings.isEmpty)
        for finding in findings {
            #expect(known.contains(finding.code), "\(fixture): \(finding.code) is not a FindingCode")
        }
    }
}
