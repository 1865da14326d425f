import Foundation
import Testing

/// Decides whether a test that needs root or a host tool can run here.
///
/// Outside CI a missing prerequisite skips the test, and `swift test` reports it as skipped
/// with the reason. In CI (CI=true) a skip would hide a broken machine setup, so it is
/// recorded as a failure instead.
///
/// Tests declare what they need with the `.requires(root:tools:)` trait; `require` is the
/// body-level form, for a requirement that depends on the test's arguments.
public enum TestEnvironment {
    public static var isCI: Bool { isCI(in: ProcessInfo.processInfo.environment) }

    public static func isCI(in environment: [String: String]) -> Bool {
        let value = environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    public static var isRoot: Bool { geteuid() == 0 }

    /// The tools that are not on PATH (nor in /sbin, /usr/sbin, /bin, /usr/bin).
    public static func hasTools(
        _ tools: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        let dirs =
            (environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return tools.filter { tool in
            !dirs.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    }

    /// What is missing, as "needs root; tools: a, b", or nil when the test may run.
    public static func unmet(
        root: Bool, tools: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        isRoot: Bool = TestEnvironment.isRoot
    ) -> String? {
        var missing: [String] = []
        if root && !isRoot { missing.append("root") }
        let absent = hasTools(tools, environment: environment)
        if !absent.isEmpty { missing.append("tools: \(absent.joined(separator: ", "))") }
        return missing.isEmpty ? nil : "needs \(missing.joined(separator: "; "))"
    }

    /// The failure recorded in CI for an unmet requirement.
    static func ciFailure(_ reason: String) -> String {
        "CI=true and this test \(reason): install it (README test command)"
    }

    /// Returns true when the test may go on. Otherwise prints why, and fails the test in CI.
    ///
    /// Prefer the `.requires(root:tools:)` trait, which reports the test as skipped; this
    /// form is for requirements computed from a test's arguments, or checked in a helper.
    public static func require(
        root: Bool = false, tools: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        guard let reason = unmet(root: root, tools: tools) else { return true }
        if isCI {
            Issue.record(Comment(rawValue: ciFailure(reason)), sourceLocation: sourceLocation)
        } else {
            print("SKIP: \(reason)")
        }
        return false
    }
}

/// An unmet requirement in CI: thrown by the `.requires` condition, so Swift Testing records
/// it as the test's failure and does not run the body.
public struct UnmetTestRequirement: Error, CustomStringConvertible {
    public let description: String
}

extension Trait where Self == ConditionTrait {
    /// The test needs root and/or these host tools (on PATH, or in /sbin, /usr/sbin, /bin,
    /// /usr/bin).
    ///
    /// Outside CI, a test whose needs are not met is skipped, with the reason as the skip
    /// comment ("needs root; tools: qemu-system-x86_64"). In CI (CI=true) the test is never
    /// skipped: an unmet need is recorded as its failure ("CI=true and this test needs …:
    /// install it"), as `TestEnvironment.require` does.
    ///
    /// `environment` and `isRoot` are for testing the trait itself.
    public static func requires(
        root: Bool = false, tools: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        isRoot: Bool = TestEnvironment.isRoot, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Self {
        let reason = TestEnvironment.unmet(root: root, tools: tools, environment: environment, isRoot: isRoot)
        let isCI = TestEnvironment.isCI(in: environment)
        return .enabled(reason.map { Comment(rawValue: $0) }, sourceLocation: sourceLocation) {
            guard let reason else { return true }
            if isCI { throw UnmetTestRequirement(description: TestEnvironment.ciFailure(reason)) }
            return false
        }
    }
}

/// Shell for the first thing in a mount namespace a test makes (`unshare --mount`, `ip netns
/// exec`): it lets go, lazily, of the copies of other tests' scratch mounts (/tmp, /var/tmp,
/// /run/xen2kvm). Held there, they would outlive their unmount on the host: a filesystem that
/// is never really unmounted (journal left needing recovery, writes not yet on the image, loop
/// devices that cannot be detached) for as long as this namespace lives.
public let releaseScratchMounts = """
    awk '{ print $5 }' /proc/self/mountinfo | sort -r | while read -r point; do \
    case "$point" in /tmp/?* | /var/tmp/?* | /run/xen2kvm/?*) umount -l "$point" 2>/dev/null || true ;; esac; \
    done
    """
