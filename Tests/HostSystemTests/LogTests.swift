import Logging
import Synchronization
import Testing

@testable import HostSystem

/// What the library's log lines say, seen through a handler that keeps them.
@Suite struct LogTests {
    /// Keeps every record (level and text) it is given.
    final class Records: Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
        var all: [(Logger.Level, String)] { lines.withLock { $0 } }
    }

    struct Keeper: LogHandler {
        let records: Records
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { records.lines.withLock { $0.append((event.level, "\(event.message)")) } }
    }

    static func capture(_ body: () async throws -> Void) async rethrows -> [(Logger.Level, String)] {
        let records = Records()
        let logger = Logger(label: "test") { _ in Keeper(records: records) }
        try await Log.with(logger, body)
        return records.all
    }

    /// A command line reads as a shell would take it back: plain words as they are, anything
    /// else single-quoted (quotes inside escaped), the program name as given.
    @Test func commandLinesAreQuotedLikeAShell() async {
        let lines = await Self.capture {
            Log.command(
                "(in the guest) /bin/sh", ["-c", "echo 'hi' $HOME", "", "file?offset=1048576", "/dev/vda1"],
                status: 0, seconds: 1.234, output: "one\n\ntwo\n")
        }
        #expect(lines.count == 2)
        #expect(lines.first?.0 == .info)
        #expect(
            lines.first?.1
                == #"ran (in the guest) /bin/sh -c 'echo '\''hi'\'' $HOME' '' 'file?offset=1048576' /dev/vda1: exit 0 after 1.23 s"#
        )
        #expect(lines.last?.0 == .debug)
        #expect(lines.last?.1 == "output of (in the guest) /bin/sh:\none\ntwo")
    }

    /// A command stopped on purpose says so; one that printed nothing has no output record.
    @Test func stoppedCommandWithoutOutput() async {
        let lines = await Self.capture {
            Log.command("qemu-system-x86_64", ["-m", "1024"], status: nil, seconds: 42, output: "")
        }
        #expect(lines.map(\.1) == ["ran qemu-system-x86_64 -m 1024: stopped after 42.0 s"])
    }

    /// Only the last `lines` lines of a long output are kept.
    @Test func longOutputKeepsItsTail() async {
        let output = (1...500).map { "line \($0)" }.joined(separator: "\n")
        let lines = await Self.capture {
            Log.command("update-initramfs", [], status: 0, seconds: 0, output: output, lines: 3)
        }
        #expect(lines.last?.1 == "output of update-initramfs:\nline 498\nline 499\nline 500")
    }

    /// Outside `Log.with` nothing is logged and nothing is built: the message is not evaluated.
    @Test func unboundLogsNothing() {
        let evaluated = Mutex(false)
        Log.info(
            {
                evaluated.withLock { $0 = true }
                return "never"
            }())
        #expect(Log.logger == nil)
        #expect(!evaluated.withLock { $0 })
    }
}
