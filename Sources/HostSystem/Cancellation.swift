import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT and SIGTERM set a flag; long loops check it between chunks and stop cleanly, so
/// every cleanup path (removing a half-made target, closing descriptors) still runs.
public enum Cancellation {
    private static let requested = Atomic<Int32>(0)

    /// The signal that asked to stop, or nil.
    public static var signal: Int32? {
        let value = requested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Installs the handlers (once per process). A second signal kills the process the
    /// default way, for an operator who really wants out.
    public static func install() {
        for sig in [SIGINT, SIGTERM] {
            Glibc.signal(sig) { number in
                Cancellation.requested.store(number, ordering: .relaxed)
                Glibc.signal(number, SIG_DFL)
            }
        }
    }

    /// Throws `.interrupted` once a signal arrived.
    public static func check(_ during: String) throws(HostError) {
        if let sig = signal {
            throw .interrupted("\(sig == SIGINT ? "SIGINT" : "SIGTERM") during \(during)")
        }
    }

    /// For tests.
    public static func reset() { requested.store(0, ordering: .relaxed) }
}
