/// Runs an e2fsprogs (or other host) tool and keeps the tail of its output for messages.
public enum HostTool {
    public struct Outcome: Sendable {
        public var status: Int32
        /// The last lines the tool printed, for messages.
        public var tail: String
    }

    /// `ownPidNamespace` (root only): for a program that may start programs of its own (a
    /// user's helper script): they die with it, and it dies with xen2kvm (HostChild).
    public static func run(_ name: String, _ arguments: [String], package: String, ownPidNamespace: Bool = false)
        async throws(HostError) -> Outcome
    {
        let result: HostChild.Outcome
        let started = ContinuousClock.now
        let path = "/usr/sbin:/sbin:/usr/bin:/bin"
        do {
            let (program, all) =
                ownPidNamespace
                ? (
                    "/usr/bin/unshare",
                    ["--pid", "--fork", "--kill-child", try HostChild.resolve(name, path: path)] + arguments
                )
                : (name, arguments)
            // 2000 lines for the log; e2fsck on a damaged copy can print far more, all of it read.
            result = try await HostChild.run(
                program, all, environment: ["PATH": path, "LC_ALL": "C"], keepingLines: 2000)
        } catch {
            throw .failed("cannot run \(name) (Debian package \(package)): \(error)")
        }
        Log.command(
            name, arguments, status: result.status, seconds: (ContinuousClock.now - started).inSeconds,
            output: result.lines.joined(separator: "\n"))
        // A Ctrl-C reaches the tool too; report it as the interruption it is.
        try Cancellation.check(name)
        return Outcome(status: result.status, tail: result.lines.suffix(12).joined(separator: "\n"))
    }
}
