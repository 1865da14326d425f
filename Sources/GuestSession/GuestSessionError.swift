import HostSystem

/// Why a guest session could not be set up or a guest program failed.
public enum GuestSessionError: Error, CustomStringConvertible {
    case setup(String)
    case program(name: String, status: Int32, lastLines: String)
    case interrupted(String)
    /// The disk is in use (mounted, a running VM's, another xen2kvm's): nothing was done.
    case inUse(String)

    public var description: String {
        switch self {
        case .inUse(let text): return "refused: \(text)"
        case .setup(let text): return "guest session: \(text)"
        case .program(let name, let status, let lines):
            return "\(name) failed in the guest (exit \(status)); its last lines:\n\(lines)"
        case .interrupted(let text): return "interrupted: \(text)"
        }
    }

    public init(_ error: HostError) {
        switch error {
        case .failed(let text): self = .setup(text)
        case .interrupted(let text): self = .interrupted(text)
        }
    }
}
