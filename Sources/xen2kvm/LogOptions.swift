import ArgumentParser
import HostSystem
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `--log FILE` and `--verbose`: a record of what a run did to which disk. Operators moving a
/// fleet keep one log per guest; it holds the command line, the plan, every command run with
/// its exit status, time and output, every guest file changed, the phases' timings and the
/// exit status, so a guest that misbehaves weeks later can be traced to its conversion.
struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log"),
        help: ArgumentHelp(
            "Append a record of the run to FILE: commands run (exit status, time, output), files changed, timings.",
            valueName: "file"))
    var file: String?

    @Flag(help: "Print the record's main lines (not the commands' output) on stderr as the run goes.")
    var verbose = false

    /// Runs `body` with the library's log lines going where asked, between a line with the
    /// command line and a line with how the run ended.
    func run(_ body: () async throws -> Void) async throws {
        guard file != nil || verbose else { return try await body() }
        var sinks: [LogSink] = []
        if let file {
            let fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                ErrorOutput.print("cannot write the log file \(file): \(reason); name a writable file with --log")
                throw ExitCode(64)
            }
            sinks.append(LogSink(fd: fd, level: .debug, stamped: true))
        }
        if verbose { sinks.append(LogSink(fd: STDERR_FILENO, level: .info, stamped: false)) }
        defer { for sink in sinks where sink.fd != STDERR_FILENO { close(sink.fd) } }
        let logger = Logger(label: "xen2kvm") { _ in MultiplexLogHandler(sinks.map(LineLogHandler.init)) }
        try await Log.with(logger) {
            Log.info(
                "started: xen2kvm \(CommandLine.arguments.dropFirst().joined(separator: " ")) "
                    + "(version \(Xen2KVM.version), pid \(getpid()))")
            do {
                try await body()
                Log.info("finished: exit 0")
            } catch let exit as ExitCode {
                Log.info("finished: exit \(exit.rawValue)")
                throw exit
            } catch {
                Log.info("finished: \(error)")
                throw error
            }
        }
    }
}

/// One destination of log lines: a file (every level, timestamped) or stderr (--verbose).
final class LogSink: Sendable {
    let fd: Int32
    let level: Logger.Level
    let stamped: Bool
    /// One record is one write(2), and records do not interleave.
    private let lock = Mutex(())

    init(fd: Int32, level: Logger.Level, stamped: Bool) {
        self.fd = fd
        self.level = level
        self.stamped = stamped
    }

    func write(_ level: Logger.Level, _ message: String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        let record: String
        if stamped {
            let head = "\(Self.timestamp()) \(level.rawValue.padding(7)) "
            record = head + lines.joined(separator: "\n" + String(repeating: " ", count: head.count) + "| ") + "\n"
        } else {
            record = "xen2kvm: " + lines.joined(separator: "\n         ") + "\n"
        }
        lock.withLock { _ in RawOutput.write(record, to: fd) }
    }

    /// UTC, to the millisecond: logs from several hosts of a migration sort together.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let base = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let millis = String(Int(now.tv_nsec / 1_000_000))
        return base + "." + String(repeating: "0", count: 3 - millis.count) + millis + "Z"
    }
}

/// A swift-log handler writing to one sink.
struct LineLogHandler: LogHandler {
    let sink: LogSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(sink: LogSink) {
        self.sink = sink
        logLevel = sink.level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // On stderr already: --verbose would print it twice.
        if sink.fd == STDERR_FILENO && event.metadata?["printed"] != nil { return }
        sink.write(event.level, "\(event.message)")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}
