import HostSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Phase timings on stderr with `XEN2KVM_TRACE_TIMING=1`: where a conversion spends its time
/// (start-up, planning, copy, sync, check, table), measured in the real run rather than
/// guessed from a profiler. Off by default; then a mark costs one load.
public enum TraceTiming {
    public static let enabled: Bool = getenv("XEN2KVM_TRACE_TIMING").map { String(cString: $0) == "1" } ?? false
    private static let last = Mutex<ContinuousClock.Instant?>(nil)

    /// Prints how long the phase that ends now took (the first mark: since the process
    /// started, i.e. loading the program and its libraries).
    /// Also logged at debug level when a logger is bound (`--log`).
    public static func mark(_ phase: String) {
        guard enabled || Log.logger != nil else { return }
        let now = ContinuousClock.now
        let previous = last.withLock { value in
            defer { value = now }
            return value
        }
        let milliseconds = previous.map { Self.milliseconds(now - $0) } ?? sinceProcessStart()
        Log.debug("timing: \(phase): \(milliseconds) ms")
        printLine("\(pad(milliseconds)) ms  \(phase)")
    }

    /// A line of its own (counters a phase gathered), printed and logged as `mark`'s are.
    public static func note(_ text: String) {
        guard enabled || Log.logger != nil else { return }
        Log.debug("timing: \(text)")
        printLine(text)
    }

    private static func printLine(_ text: String) {
        guard enabled else { return }
        var line = "xen2kvm timing: \(text)\n"
        line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// From /proc/self/stat's start time (clock ticks since boot) to CLOCK_BOOTTIME now.
    private static func sinceProcessStart() -> Int {
        guard let file = fopen("/proc/self/stat", "r") else { return -1 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 1024)
        guard fgets(&line, Int32(line.count), file) != nil else { return -1 }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Fields after the command name, which is in parentheses and may hold spaces.
        guard let close = text.lastIndex(of: ")") else { return -1 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return -1 }
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        let started = ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        return Int((Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - started) * 1000)
    }

    private static func pad(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, 5 - text.count)) + text
    }
}
