#if canImport(Glibc)
    import Glibc
#endif

/// Processes as /proc/PID/stat shows them: their start time (what tells a process from a
/// later one that got the same pid) and whether they still run.
public enum ChildProcesses {
    /// The fields of /proc/PID/stat after the command name, which is in parentheses and may
    /// hold blanks and parentheses itself: field 3 (state) first.
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let text = HostFiles.read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
    public static func startTime(of pid: Int32) -> UInt64? {
        statFields(pid).flatMap { $0.count > 19 ? UInt64($0[19]) : nil }
    }

    /// Whether `pid` runs (a zombie does not: it exited and waits to be reaped), and, when
    /// `started` is given, is still the process that started then.
    public static func isRunning(_ pid: Int32, started: UInt64? = nil) -> Bool {
        guard let fields = statFields(pid), let state = fields.first, state != "Z", state != "X" else { return false }
        return started == nil || (fields.count > 19 && UInt64(fields[19]) == started)
    }

    /// SIGKILLs each process still running with its recorded start time and waits up to 5 s
    /// for them to be gone; returns those still running then.
    static func kill(_ children: [(pid: Int32, started: UInt64)]) -> [(pid: Int32, started: UInt64)] {
        var running = children.filter { isRunning($0.pid, started: $0.started) }
        for child in running { _ = Glibc.kill(child.pid, SIGKILL) }
        for _ in 0..<50 where !running.isEmpty {
            usleep(100_000)
            running = running.filter { isRunning($0.pid, started: $0.started) }
        }
        return running
    }
}
