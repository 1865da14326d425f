/// Why a host operation (a tool, a loop device, a mount) failed, or that a signal stopped it.
public enum HostError: Error, CustomStringConvertible {
    case failed(String)
    case interrupted(String)

    public var description: String {
        switch self {
        case .failed(let text): return text
        case .interrupted(let text): return "interrupted: \(text)"
        }
    }
}
