/// Why a guest fix could not be applied; the message names the guest file.
public enum GuestFixError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case io(path: String, operation: String, reason: String)
    case tooLarge(path: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open the guest root \(path): \(reason)"
        case .io(let path, let operation, let reason): return "guest file \(path): \(operation) failed: \(reason)"
        case .tooLarge(let path): return "guest file \(path) is larger than xen2kvm reads"
        }
    }
}
