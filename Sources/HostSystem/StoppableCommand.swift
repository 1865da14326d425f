import Subprocess
import Synchronization

/// A long command (rsync, a guest program) in a process group of its own, sent `stopSignal` as
/// a group as soon as xen2kvm is asked to stop (SIGINT/SIGTERM). Its own group because a stop
/// may be meant for xen2kvm alone (an orchestrator's SIGTERM, `timeout`): rsync's forked
/// receiver and generator, or a guest program's whole pid namespace, go with it instead of
/// running on after xen2kvm has left, holding mounts and loop devices.
///
/// With a `timeout`, a command still running after it is sent `stopSignal` the same way, and
/// the outcome says it timed out.
public enum StoppableCommand {
    public static func run(
        _ program: String, _ arguments: [String], environment: [String: String], inherit: Bool, stopSignal: Signal,
        timeout: Duration? = nil, keepingLines keep: Int, onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> HostChild.Outcome {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let timedOut = Atomic<Bool>(false)
        var outcome = try await HostChild.run(
            program, arguments, environment: environment, inherit: inherit, ownProcessGroup: true, keepingLines: keep,
            onLine: onLine,
            alongside: { child in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    let late = deadline.map { ContinuousClock.now >= $0 } ?? false
                    if late { timedOut.store(true, ordering: .relaxed) }
                    if Cancellation.signal != nil || late {
                        child.send(stopSignal, toProcessGroup: true)
                        // One that does not end on it is killed (this task is cancelled once the
                        // command's output ends).
                        try? await Task.sleep(for: .seconds(10))
                        if !Task.isCancelled { child.send(.kill, toProcessGroup: true) }
                        return
                    }
                }
            })
        outcome.timedOut = timedOut.load(ordering: .relaxed)
        return outcome
    }
}
