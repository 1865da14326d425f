import HostSystem

/// Why a guest session could not be set up or a guest program failed.
public enum GuestSessionError: Error, CustomStringConvertible {
    case setup(String)
    case program(name: String, status: Int32, lastLines: String)
    case interrupted(String)
    /// The disk is in use (mounted, a running VM's, another xen2kvm's): nothing was done.
    case inUse(String)
    /// Guest programs cannot be contained on this host: what is missing.
    case containment(String)
    /// A guest program ran past its time and was stopped with its namespace.
    case timedOut(program: String, seconds: Int, lastLines: String)

    public var description: String {
        switch self {
        case .inUse(let text): return "refused: \(text)"
        case .setup(let text): return "guest session: \(text)"
        case .program(let name, let status, let lines):
            return "\(name) failed in the guest (exit \(status)); its last lines:\n\(lines)"
        case .interrupted(let text): return "interrupted: \(text)"
        case .containment(let text):
            return "cannot contain the guest's programs on this host: \(text). The guest's own programs (initrd "
                + "rebuild, grub) run as an unprivileged user in a user namespace with an idmapped root; "
                + "fix what is missing, or run them as host root with --trust-guest, only for a guest you trust"
        case .timedOut(let program, let seconds, let lines):
            return "\(program) in the guest was still running after \(seconds) s and was stopped with everything it "
                + "started (raise the limit with --guest-timeout); its last lines:\n\(lines)"
        }
    }

    public init(_ error: HostError) {
        switch error {
        case .failed(let text): self = .setup(text)
        case .interrupted(let text): self = .interrupted(text)
        }
    }
}
