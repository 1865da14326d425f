import Logging

/// What the library tells about its work: every command it runs (arguments, exit status,
/// time, and at debug level the command's output), the files it changes, the phases of a
/// conversion and the devices it takes and releases. An operator converting a fleet keeps this
/// per guest (`--log FILE`), to answer later what was done to which disk.
///
/// Nothing is logged unless the caller binds a logger around the work (`Log.with`): the CLI
/// does for `--log` and `--verbose`. A library that logged on its own would print into a
/// caller's stdout (swift-log's default handler), in the middle of `--json` or a test's output.
public enum Log {
    @TaskLocal public static var logger: Logger?

    /// Runs `body` with `logger` receiving the library's log lines, in this task and the
    /// tasks it starts.
    public static func with<T>(_ logger: Logger, _ body: () async throws -> T) async rethrows -> T {
        try await $logger.withValue(logger, operation: body)
    }

    public static func info(_ message: @autoclosure () -> String) {
        logger?.info(Logger.Message(stringLiteral: message()))
    }

    public static func debug(_ message: @autoclosure () -> String) {
        logger?.debug(Logger.Message(stringLiteral: message()))
    }

    public static func warning(_ message: @autoclosure () -> String) {
        logger?.warning(Logger.Message(stringLiteral: message()))
    }

    /// Why a run stopped. `printed`: the message is on stderr already, so a handler writing
    /// there (--verbose) leaves it out (metadata "printed").
    public static func error(_ message: @autoclosure () -> String, printed: Bool) {
        logger?.error(Logger.Message(stringLiteral: message()), metadata: printed ? ["printed": "stderr"] : nil)
    }

    /// One finished command: a line at info level, its output (the last `lines` lines) at
    /// debug. `status` nil: the command was stopped on purpose (QEMU once the boot is judged).
    public static func command(
        _ program: String, _ arguments: [String], status: Int32?, seconds: Double, output: String, lines: Int = 200
    ) {
        guard logger != nil else { return }
        let line = ([program] + arguments.map(quoted)).joined(separator: " ")
        let end = status.map { "exit \($0)" } ?? "stopped"
        info("ran \(line): \(end) after \((seconds * 100).rounded() / 100) s")
        let tail = output.split(separator: "\n").suffix(lines).joined(separator: "\n")
        if !tail.isEmpty { debug("output of \(program):\n\(tail)") }
    }

    /// A shell-like rendering of one argument: as it is when plain, single-quoted otherwise.
    static func quoted(_ argument: String) -> String {
        let plain = !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return plain
            ? argument
            : "'" + argument.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
