import Foundation
import Testing

/// Decides whether a test that needs root or a host tool can run here.
///
/// Outside CI a missing prerequisite skips the test with a printed reason. In CI (CI=true)
/// a skip would hide a broken machine setup, so it is recorded as a failure instead.
public enum TestEnvironment {
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    public static var isRoot: Bool { geteuid() == 0 }

    /// True when every tool is on PATH (or in /sbin, /usr/sbin).
    public static func hasTools(_ tools: [String]) -> [String] {
        let dirs =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return tools.filter { tool in
            !dirs.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    }

    /// Returns true when the test may go on. Otherwise prints why, and fails the test in CI.
    public static func require(
        root: Bool = false, tools: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        var missing: [String] = []
        if root && !isRoot { missing.append("root") }
        let absent = hasTools(tools)
        if !absent.isEmpty { missing.append("tools: \(absent.joined(separator: ", "))") }
        guard !missing.isEmpty else { return true }
        let reason = "needs \(missing.joined(separator: "; "))"
        if isCI {
            Issue.record(
                "CI=true and this test \(reason): install it (README test command)", sourceLocation: sourceLocation)
        } else {
            print("SKIP: \(reason)")
        }
        return false
    }
}
