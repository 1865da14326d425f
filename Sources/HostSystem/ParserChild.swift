import CLinuxIO
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Reading a guest image is parsing hostile input with C libraries that were not written for
/// it (libext2fs, libblkid) and with xen2kvm's own readers (initrds, configs). The CLI does it
/// in a child of its own — this binary again, as `xen2kvm parse-image …` — so that a crash or
/// a hang there is a damaged image and never xen2kvm dying:
///
/// - the child contains itself first (`containSelf`): 4 GiB of address space, no file it may
///   write, and a seccomp filter: no programs, no network, no process but threads, files
///   opened for reading only and never changed by name (CLinuxIO/Seccomp.c);
/// - the parent gives it `timeout`, reads one result line from it, and turns a signal, a
///   timeout or a missing result into `ParserChildFailure`.
public enum ParserChild {
    /// The hidden subcommand the child runs.
    public static let subcommand = "parse-image"
    static let resultPrefix = "xen2kvm-parse-result: "
    /// Lines of bulk data before the answer (copy runs): too many for one line of JSON.
    static let dataPrefix = "xen2kvm-parse-data: "

    /// What the child answers: its value, or the problem it reports itself (a refusal, an
    /// unreadable image).
    public enum Answer<Value: Codable & Sendable, Problem: Codable & Sendable>: Codable, Sendable {
        case value(Value)
        case problem(Problem)
    }

    /// How long a parse may take: 900 s, or $XEN2KVM_PARSER_TIMEOUT seconds (a huge image on
    /// slow storage may need more; tests need less).
    public static var timeout: Duration {
        let seconds = getenv("XEN2KVM_PARSER_TIMEOUT").flatMap { Int(String(cString: $0)) }
        return .seconds(seconds.map { max($0, 1) } ?? 900)
    }

    /// Runs `xen2kvm parse-image ARGUMENTS…` and decodes its answer; `onData` gets each line
    /// the child sent with `data(_:)`, in order, as it comes.
    public static func run<Value: Codable & Sendable, Problem: Codable & Sendable>(
        _ arguments: [String], answer: Answer<Value, Problem>.Type,
        onData: (@Sendable (Substring) -> Void)? = nil
    ) async throws(ParserChildFailure) -> Answer<Value, Problem> {
        let timeout = Self.timeout
        guard let executable = HostFiles.ownExecutable else { throw .failed("cannot find xen2kvm's own binary") }
        let result: HostChild.Outcome
        do {
            result = try await StoppableCommand.run(
                // No Swift backtracer in the child: it would try to start a program, which the
                // filter refuses, after a crash that is only the image's.
                executable, [subcommand] + arguments, environment: ["SWIFT_BACKTRACE": "enable=no"], inherit: true,
                stopSignal: .kill,
                timeout: timeout, keepingLines: 200,
                onLine: { line in
                    if line.hasPrefix(dataPrefix) { onData?(line.dropFirst(dataPrefix.count)) }
                })
        } catch {
            throw .failed("cannot start xen2kvm's image parser: \(error)")
        }
        if result.timedOut { throw .hung(seconds: Int(timeout.components.seconds)) }
        if let line = result.lines.last(where: { $0.hasPrefix(resultPrefix) }),
            let answer = try? JSONDecoder().decode(
                Answer<Value, Problem>.self, from: Data(line.dropFirst(resultPrefix.count).utf8))
        {
            return answer
        }
        let tail = result.lines.filter { !$0.hasPrefix(resultPrefix) && !$0.hasPrefix(dataPrefix) }.suffix(5).joined(
            separator: "\n")
        if result.status > 128 { throw .crashed(signal: result.status - 128, lastLines: tail) }
        throw .failed("xen2kvm's image parser ended (exit \(result.status)) without an answer: \(tail)")
    }

    /// In the child, before it reads anything: the limits, then the filter.
    public static func containSelf() throws(ParserChildFailure) {
        var memory = rlimit(rlim_cur: 4 << 30, rlim_max: 4 << 30)
        var files = rlimit(rlim_cur: 0, rlim_max: 0)
        var core = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &memory) == 0,
            setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &files) == 0,
            setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &core) == 0, xen2kvm_seccomp_for_image_parser() == 0
        else {
            throw .failed("the image parser cannot contain itself: \(String(cString: strerror(errno)))")
        }
    }

    /// In the child: one line of bulk data for the parent's `onData`, before the answer.
    public static func data(_ text: String) {
        writeOut(dataPrefix + text + "\n")
    }

    /// All of `line` on standard output (a pipe may take a long line in parts).
    static func writeOut(_ line: String) {
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// In the child: prints the answer as the one line the parent reads.
    public static func answer<Value: Codable & Sendable, Problem: Codable & Sendable>(
        _ answer: Answer<Value, Problem>
    ) {
        guard let data = try? JSONEncoder().encode(answer) else { return }
        writeOut(resultPrefix + String(decoding: data, as: UTF8.self) + "\n")
    }
}

/// Why the image parser gave no answer: each means the image is damaged or hostile.
public enum ParserChildFailure: Error, CustomStringConvertible {
    case crashed(signal: Int32, lastLines: String)
    case hung(seconds: Int)
    case failed(String)

    public var description: String {
        switch self {
        case .crashed(let signal, let lines):
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
            return "the image is damaged: reading it crashed xen2kvm's parser (libext2fs, libblkid or its own "
                + "readers; \(name)): run `e2fsck -fn` on a copy to see the damage"
                + (lines.isEmpty ? "" : "; its last lines:\n\(lines)")
        case .hung(let seconds):
            return "the image is damaged: reading it did not finish in \(seconds) s (a loop in its metadata?): "
                + "run `e2fsck -fn` on a copy to see the damage"
        case .failed(let text): return text
        }
    }
}
