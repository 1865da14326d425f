import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// How a guest's own programs run. By default contained by xen2kvm-sandbox (Sources/GuestSandbox):
/// guest root is an unprivileged host id range in a user namespace of its own, the guest
/// filesystem idmapped and entered with pivot_root (no host path is left), a /dev of the
/// session's nodes, no network, a seccomp filter, and these limits. `trusted` (--trust-guest)
/// runs them as host root in a chroot, for hosts whose kernel cannot contain them: only for
/// guests whose owner you trust.
public struct GuestProgramPolicy: Sendable, Codable, Equatable {
    public var trusted = false
    public var limits = GuestLimits()

    public init(trusted: Bool = false, limits: GuestLimits = GuestLimits()) {
        self.trusted = trusted
        self.limits = limits
    }

    /// For the report: how the programs ran.
    public var summary: String {
        trusted
            ? "trusted (--trust-guest): as host root in a chroot with fresh namespaces"
            : "contained: user namespace (guest root is host uid \(GuestIDs.base)), idmapped root entered with "
                + "pivot_root, private /dev, no network, seccomp, at most \(limits.seconds) s, "
                + "\(limits.processes) processes, \(limits.memoryBytes >> 20) MiB per process"
    }
}

/// What one guest program may take.
public struct GuestLimits: Sendable, Codable, Equatable {
    /// Wall time: a program still running then is stopped with its whole namespace.
    public var seconds = 1800
    /// Processes of the guest's root at once (a fork bomb stops there).
    public var processes = 1024
    /// Address space of each process.
    public var memoryBytes: UInt64 = 4 << 30
    /// The largest file it may write.
    public var fileBytes: UInt64 = 8 << 30

    public init() {}
}

/// The host ids the guest's ids 0…count-1 are: a range no host account has. Every session
/// uses the same range: each program is alone in its own pid, ipc and network namespaces and
/// sees only its own disk, so two guests' programs cannot reach each other either.
public enum GuestIDs {
    public static let base: UInt32 = 0x7000_0000
    public static let count: UInt32 = 65536
}

/// Where xen2kvm-sandbox is: $XEN2KVM_SANDBOX; beside the running binary (a build
/// directory: xen2kvm and the test runner alike); PREFIX/lib/xen2kvm beside PREFIX/bin
/// (`make install`).
enum SandboxLauncher {
    static let name = "xen2kvm-sandbox"

    static var path: String? {
        if let value = getenv("XEN2KVM_SANDBOX") { return String(cString: value) }
        guard let directory = executableDirectory else { return nil }
        var parent = directory.split(separator: "/", omittingEmptySubsequences: false)
        parent.removeLast()
        let candidates = ["\(directory)/\(name)", parent.joined(separator: "/") + "/lib/xen2kvm/\(name)"]
        return candidates.first { access($0, X_OK) == 0 }
    }

    static var executableDirectory: String? {
        guard var parts = HostFiles.ownExecutable?.split(separator: "/", omittingEmptySubsequences: false) else {
            return nil
        }
        parts.removeLast()
        return parts.joined(separator: "/")
    }
}
