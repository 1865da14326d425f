import TestSupport
import Testing

@Suite struct HelpTests {
    @Test func helpListsWhatExistsWithExamples() async throws {
        let result = try await Xen2KVMBinary.run(["--help"])
        #expect(result.status == 0)
        for command in ["inspect", "convert", "fix", "boot-check"] {
            #expect(result.stdout.contains(command), "help does not list \(command)")
        }
        #expect(result.stdout.contains("Examples:"))
    }

    @Test func inspectHelpExplainsSeverities() async throws {
        let result = try await Xen2KVMBinary.run(["inspect", "--help"])
        #expect(result.status == 0)
        for word in ["blocker", "warning", "info", "--json", "Examples:"] {
            #expect(result.stdout.contains(word))
        }
    }

    @Test func convertHelpDocumentsSafetyAndExitCodes() async throws {
        let result = try await Xen2KVMBinary.run(["convert", "--help"])
        #expect(result.status == 0)
        for word in ["--dos-compat", "--table", "--force", "--repair-copy", "--dry-run", "Exit status", "Examples:", "read-only"] {
            #expect(result.stdout.contains(word), "\(word)")
        }
    }

    /// The discussion's paragraphs are wrapped by the argument parser, not broken by hand in
    /// the source as well: no short prose line stops mid-sentence before the next one.
    @Test(arguments: [[], ["inspect"], ["convert"], ["fix"], ["boot-check"]])
    func helpParagraphsWrapCleanly(command: [String]) async throws {
        let result = try await Xen2KVMBinary.run(command + ["--help"])
        let text = result.stdout.components(separatedBy: "USAGE:")[0]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (line, next) in zip(lines, lines.dropFirst()) {
            let prose = { (l: Substring) in !l.isEmpty && !l.hasPrefix(" ") }
            guard prose(line), prose(next), line.count < 50, let last = line.last else { continue }
            #expect([".", ":"].contains(last), "a ragged line in `\(command.joined()) --help`: \"\(line)\"")
        }
    }

    @Test func missingArgumentIsAUsageError() async throws {
        let result = try await Xen2KVMBinary.run(["inspect"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Missing expected argument"))
    }
}
