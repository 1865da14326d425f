import Conversion
import XenDefinition

/// Everything `migrate` will do with a guest, decided before a byte is written: `--dry-run`
/// prints it, `--json` embeds it, and the migrator follows it.
public struct MigrationPlan: Sendable, Codable {
    public struct Disk: Sendable, Codable {
        public enum Role: String, Sendable, Codable { case root, swap, data }
        /// The Xen vdev ("xvda1").
        public var xen: String
        /// The file read: the definition's path, or the staging file a remote disk was received into.
        public var source: String
        /// Where a received disk came from (`ssh://root@xen1/dev/vg0/web01`); nil for a local one.
        public var origin: String?
        public var target: String
        /// The virtio disk it becomes ("vdb") and the name the guest's files use ("vdb1").
        public var kvmDisk: String
        public var kvmName: String
        public var role: Role
        /// The method asked of convert's planner (auto for the root: it picks) and why.
        public var askedMethod: CopyMethod
        public var why: String
        /// Convert's plan of this disk; nil when it could not be made (the refusal says why).
        public var conversion: ConversionPlan?
        /// Received by x2k straight into the target (the plan made from its header); nil: the
        /// disk is converted from `source`.
        public var streamed: StreamedDisk?
        public var refusal: String?
    }

    public var definition: XenDefinition
    public var disks: [Disk]
    /// Xen name → KVM name, derived once from the definition (a `--map` the operator gives wins):
    /// what the root's fixes apply.
    public var deviceMap: [String: String]
    public var domain: DomainSpec
    public var xml: String
    /// Where the XML is written: beside the disks.
    public var xmlPath: String
    /// Xen-only settings the KVM domain does not carry.
    public var dropped: [String]
    public var notes: [String]
    /// Why the migration cannot go on; empty when it can.
    public var refusals: [String]

    public var root: Disk? { disks.first { $0.role == .root } }
}
