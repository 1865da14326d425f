import Conversion
import FoundationEssentials
import HostSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Progress for people: a redrawn bar on a terminal, a line every few seconds otherwise.
final class ProgressDisplay: ProgressReporter {
    private struct State {
        var step = ""
        var total: UInt64 = 0
        var started = ContinuousClock.now
        var lastDraw = ContinuousClock.now - .seconds(10)
    }

    private let state = Mutex(State())
    private let terminal: Bool

    init() { terminal = isatty(STDERR_FILENO) == 1 }

    func begin(step: String, total: UInt64) {
        state.withLock { $0 = State(step: step, total: total, started: .now) }
        if !terminal { emit("\(step): \(Self.size(total)) to copy\n") }
    }

    func advance(done: UInt64) {
        let line: String? = state.withLock { state in
            let now = ContinuousClock.now
            let interval: Duration = terminal ? .milliseconds(200) : .seconds(5)
            guard now - state.lastDraw >= interval else { return nil }
            state.lastDraw = now
            return Self.line(state, done: done, now: now)
        }
        guard let line else { return }
        emit(terminal ? "\r\u{1B}[K" + line : line + "\n")
    }

    func end() {
        // A step without bytes (mkswap) has no bar to finish.
        let finished = state.withLock { state -> String? in
            guard !state.step.isEmpty else { return nil }
            defer { state.step = "" }
            return Self.line(state, done: state.total, now: .now)
        }
        guard let line = finished else { return }
        emit(terminal ? "\r\u{1B}[K" + line + "\n" : line + "\n")
    }

    func note(_ text: String) { emit("\(text)\n") }

    private static func line(_ state: State, done: UInt64, now: ContinuousClock.Instant) -> String {
        let seconds = max((now - state.started).inSeconds, 0)
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let fraction = state.total > 0 ? min(Double(done) / Double(state.total), 1) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let remaining = rate > 0 ? Double(state.total > done ? state.total - done : 0) / rate : 0
        return "\(state.step) [\(bar)] \(Int(fraction * 100))% \(size(done))/\(size(state.total)) "
            + "\(size(UInt64(rate)))/s ETA \(Int(remaining.rounded()))s"
    }

    static func size(_ bytes: UInt64) -> String { ByteCount.text(bytes) }

    private func emit(_ text: String) {
        RawOutput.stderr(text)
    }
}
