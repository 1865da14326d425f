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
        for word in ["--dos-compat", "--table", "--force", "--dry-run", "Exit status", "Examples:", "read-only"] {
            #expect(result.stdout.contains(word), "\(word)")
        }
    }

    @Test func missingArgumentIsAUsageError() async throws {
        let result = try await Xen2KVMBinary.run(["inspect"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Missing expected argument"))
    }
}
