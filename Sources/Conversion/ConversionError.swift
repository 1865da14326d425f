/// Why `convert` stopped. `refused` happens before anything is written.
public enum ConversionError: Error, CustomStringConvertible, Codable {
    /// A check failed before anything was written; the message says what to do.
    case refused(String)
    /// Something failed while working (I/O, fsck); the message says what and where.
    case failed(String)
    /// SIGINT or SIGTERM: stopped cleanly.
    case interrupted(String)

    public var description: String {
        switch self {
        case .refused(let text): return "refused: \(text)"
        case .failed(let text): return "failed: \(text)"
        case .interrupted(let text): return "interrupted: \(text)"
        }
    }

    /// Exit status of the CLI, as the README documents.
    public var exitCode: Int32 {
        switch self {
        case .refused: return 2
        case .failed: return 1
        case .interrupted: return 130
        }
    }
}
