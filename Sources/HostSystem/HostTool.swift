import Subprocess

/// Runs an e2fsprogs (or other host) tool and keeps the tail of its output for messages.
public enum HostTool {
    public struct Outcome: Sendable {
        public var status: Int32
        /// The last lines the tool printed, for messages.
        public var tail: String
    }

    public static func run(_ name: String, _ arguments: [String], package: String) async throws(HostError) -> Outcome {
        let result: ExecutionRecord
        let started = ContinuousClock.now
        do {
            let run = try await Subprocess.run(
                name.contains("/") ? .path(.init(name)) : .name(name), arguments: Arguments(arguments),
                environment: .inherit.updating(["PATH": "/usr/sbin:/sbin:/usr/bin:/bin", "LC_ALL": "C"]),
                output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
            var status: Int32 = -1
            switch run.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            result = ExecutionRecord(status: status, text: run.standardOutput + run.standardError)
            Log.command(
                name, arguments, status: status, seconds: (ContinuousClock.now - started).inSeconds, output: result.text
            )
        } catch {
            throw .failed("cannot run \(name) (Debian package \(package)): \(error)")
        }
        // A Ctrl-C reaches the tool too; report it as the interruption it is.
        try Cancellation.check(name)
        let tail = result.text.split(separator: "\n").suffix(12).joined(separator: "\n")
        return Outcome(status: result.status, tail: tail)
    }

    private struct ExecutionRecord {
        var status: Int32
        var text: String
    }
}
