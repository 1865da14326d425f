import TestSupport
import Testing

@Suite struct HelpTests {
    @Test func helpListsWhatExistsWithExamples() async throws {
        let result = try await Xen2KVMBinary.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("inspect"))
        #expect(result.stdout.contains("convert"))
        #expect(result.stdout.contains("fix"))
        #expect(result.stdout.contains("Examples:"))
        // Subcommands arrive with their own issues; no placeholders before then.
        for missing in ["boot-check"] {
            #expect(!result.stdout.contains(missing), "help mentions \(missing)")
        }
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
