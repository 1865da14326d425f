import Subprocess

/// A long command (rsync, a guest program) in a process group of its own, sent `stopSignal` as
/// a group as soon as xen2kvm is asked to stop (SIGINT/SIGTERM). Its own group because a stop
/// may be meant for xen2kvm alone (an orchestrator's SIGTERM, `timeout`): rsync's forked
/// receiver and generator, or a guest program's whole pid namespace, go with it instead of
/// running on after xen2kvm has left, holding mounts and loop devices.
public enum StoppableCommand {
    public struct Outcome: Sendable {
        public var status: Int32
        /// The last lines of standard output (as many as asked for).
        public var lines: [String]
        public var standardError: String
    }

    public static func run(
        _ executable: Executable, _ arguments: [String], environment: Environment, stopSignal: Signal,
        keepingLines keep: Int = 0, onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> Outcome {
        var platform = PlatformOptions()
        platform.processGroupID = 0
        let result = try await Subprocess.run(
            executable, arguments: Arguments(arguments), environment: environment, platformOptions: platform,
            input: .none, output: .sequence, error: .string(limit: 4 << 20)
        ) { execution in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .milliseconds(100))
                        if Cancellation.signal != nil {
                            try? execution.send(signal: stopSignal, toProcessGroup: true)
                            return
                        }
                    }
                }
                var lines: [String] = []
                for try await line in execution.standardOutput.strings() {
                    onLine?(line)
                    guard keep > 0 else { continue }
                    lines.append(line)
                    // Trimmed in halves, not line by line: an initrd build can print thousands.
                    if lines.count >= 2 * keep { lines.removeFirst(lines.count - keep) }
                }
                group.cancelAll()
                return Array(lines.suffix(keep))
            }
        }
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        return Outcome(status: status, lines: result.closureResult, standardError: result.standardError)
    }
}
