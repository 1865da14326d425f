import GuestFixes

/// What the operator asked `migrate` to do with a guest.
public struct MigrationOptions: Sendable {
    /// `--storage dir:PATH`: a disk with no explicit target becomes PATH/<guest>-<vdev>.img.
    public var storageDirectory: String?
    /// `--disk xvda1=TARGET`: targets by Xen vdev; they win over the storage directory.
    public var diskTargets: [String: String] = [:]
    public var domainType: DomainType = .kvm
    /// `--bridge-map xenbr0=br0`: Xen bridge → host bridge. A bridge not mapped keeps its name.
    public var bridgeMap: [String: String] = [:]
    /// The guest fixes of the root disk (profile, edits only, containment); its disk and
    /// device map come from the plan.
    public var fix = FixOptions(disk: "")
    /// Overwrite targets (and the domain XML) that hold data.
    public var force = false
    /// `ssh://[USER@]HOST[:PORT]` when the definition's disk paths are on a Xen host
    /// (`migrate --from`): each disk's origin in the plan is this and its path.
    public var sourceHost: String?
    /// A disk path of the definition → the file here its bytes were received into (a remote
    /// disk's staging file): what is probed and converted in its place.
    public var receivedCopies: [String: String] = [:]
    /// A disk path of the definition → the x2k stream that writes it straight into its target
    /// (no copy here): planned from the stream's header in place of a probe of the disk.
    public var streamedDisks: [String: StreamedDisk] = [:]

    public init() {}

    /// "dir:PATH" → PATH. The prefix leaves room for other kinds of storage (an LVM volume
    /// group) without changing what this one means.
    public static func storageDirectory(from spec: String) -> String? {
        guard spec.hasPrefix("dir:"), spec.count > 4 else { return nil }
        return String(spec.dropFirst(4))
    }
}

/// libvirt's domain type: kvm (hardware virtualisation) or qemu (TCG, where /dev/kvm is missing
/// or unusable, as on nested test machines).
public enum DomainType: String, Sendable, Codable, CaseIterable {
    case kvm, qemu
}
