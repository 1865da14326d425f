import HostSystem

/// Receives progress of long steps. The CLI draws a bar, prints lines, or stays quiet.
public protocol ProgressReporter: Sendable {
    /// A long step begins: `total` bytes of work.
    func begin(step: String, total: UInt64)
    /// `done` of the step's `total` bytes are finished.
    func advance(done: UInt64)
    /// The step finished.
    func end()
    /// A one-line note for the operator (a decision, a check passed).
    func note(_ text: String)
}

/// Reports nothing.
public struct SilentProgress: ProgressReporter {
    public init() {}
    public func begin(step: String, total: UInt64) {}
    public func advance(done: UInt64) {}
    public func end() {}
    public func note(_ text: String) {}
}

/// Passes everything on to `inner` and puts the steps and notes in the log (not the byte
/// counts: a log line per 8 MiB chunk would bury the rest).
struct LoggedProgress: ProgressReporter {
    let inner: any ProgressReporter

    func begin(step: String, total: UInt64) {
        Log.info("\(step): \(total) bytes")
        inner.begin(step: step, total: total)
    }

    func advance(done: UInt64) { inner.advance(done: done) }
    func end() { inner.end() }

    func note(_ text: String) {
        Log.info(text)
        inner.note(text)
    }
}
