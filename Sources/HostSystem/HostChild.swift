import Subprocess

#if canImport(Glibc)
    import Glibc
#endif

/// Every program xen2kvm starts on the host starts here, so that none outlives xen2kvm:
///
/// - it runs under `setpriv --pdeathsig KILL` (util-linux): the kernel kills it the moment
///   xen2kvm dies, kill -9 included. The death signal fires when the *thread* that forked the
///   child exits, not the process; swift-subprocess forks every child on a worker thread of
///   its own that lives until the process exits (Thread.swift, `runOnBackgroundThread`; seen
///   with strace: every clone3 comes from that one thread, whatever the caller's executor),
///   never on a pool thread that may be retired while the child runs
///   (`aChildStartedAfterAnIdleSpellLivesOn` checks it);
/// - it is recorded (pid and start time) in the run's record while it runs, so that a child
///   whose death signal was lost (xen2kvm killed before setpriv set it) is killed by the next
///   run.
///
/// Its standard output and error are read as one stream of lines, as they come, so a chatty
/// program (e2fsck on a damaged copy, an initrd build) is never cut off by an output limit.
public enum HostChild {
    public struct Outcome: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        /// The last lines it printed, stdout and stderr interleaved (as many as asked for).
        public var lines: [String]
        /// Stopped because it ran past its time (`StoppableCommand`'s timeout).
        public var timedOut = false
    }

    /// A running child, for the code that watches it alongside its output.
    public struct Running: Sendable {
        let execution: Execution<NoInput, SequenceOutput, CombinedErrorOutput>

        public var pid: Int32 { execution.processIdentifier.value }

        /// Sends `signal` to the child, or to its whole process group.
        public func send(_ signal: Signal, toProcessGroup: Bool = false) {
            try? execution.send(signal: signal, toProcessGroup: toProcessGroup)
        }
    }

    /// The program that sets the death signal and execs the child (so the pid is the child's).
    static let setpriv = "/usr/bin/setpriv"

    /// Runs `program` (a path, or a name looked up in PATH) until it ends, with `environment`
    /// added to xen2kvm's own (`inherit`) or as the whole environment.
    /// `onLine` sees each line as it comes; `alongside` runs meanwhile (stops it on a signal,
    /// judges a boot) and is cancelled once the child's output ends. With `ownProcessGroup`
    /// the child leads a process group of its own (a terminal's Ctrl-C then reaches xen2kvm
    /// alone, which stops the group itself).
    public static func run(
        _ program: String, _ arguments: [String], environment: [String: String], inherit: Bool = true,
        ownProcessGroup: Bool = false,
        keepingLines keep: Int, onLine: (@Sendable (String) -> Void)? = nil,
        alongside: (@Sendable (Running) async -> Void)? = nil
    ) async throws -> Outcome {
        let path = environment["PATH"] ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        let executable = try resolve(program, path: path)
        var platform = PlatformOptions()
        if ownProcessGroup { platform.processGroupID = 0 }
        let record = RunRecord.current
        var variables: [Environment.Key: String] = [:]
        for (key, value) in environment { variables[Environment.Key(stringLiteral: key)] = value }
        let result = try await Subprocess.run(
            .path(.init(setpriv)), arguments: Arguments(["--pdeathsig", "KILL", "--", executable] + arguments),
            environment: inherit ? .inherit.updating(variables.mapValues { $0 }) : .custom(variables),
            platformOptions: platform, input: .none, output: .sequence,
            error: .combinedWithOutput
        ) { execution in
            let running = Running(execution: execution)
            let child = ChildProcesses.startTime(of: running.pid).map {
                RunRecord.Holding.child(pid: running.pid, started: $0)
            }
            if let child { record?.hold(child) }
            defer { if let child { record?.drop(child) } }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                if let alongside { group.addTask { await alongside(running) } }
                var tail = LineTail(keep: keep)
                for try await line in execution.standardOutput.strings(bufferingPolicy: .unbounded) {
                    onLine?(line)
                    tail.append(line)
                }
                group.cancelAll()
                return tail.lines
            }
        }
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        return Outcome(status: status, lines: result.closureResult)
    }

    /// The absolute path of `program`, found as execvp would: setpriv would find it too, but
    /// then a missing tool reads as the tool failing, not as a tool to install.
    public static func resolve(_ program: String, path: String) throws(HostError) -> String {
        if program.contains("/") { return program }
        for directory in path.split(separator: ":") where access("\(directory)/\(program)", X_OK) == 0 {
            return "\(directory)/\(program)"
        }
        throw .failed("\(program) not found in \(path)")
    }

    /// The last `keep` lines of a stream, trimmed in halves rather than line by line (an initrd
    /// build can print thousands).
    struct LineTail {
        let keep: Int
        private var kept: [String] = []

        init(keep: Int) { self.keep = keep }

        mutating func append(_ line: String) {
            guard keep > 0 else { return }
            kept.append(line)
            if kept.count >= 2 * keep { kept.removeFirst(kept.count - keep) }
        }

        var lines: [String] { Array(kept.suffix(keep)) }
    }
}
