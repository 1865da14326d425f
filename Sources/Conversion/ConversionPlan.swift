import HostSystem
import Inspection
import PartitionTable

/// Everything `convert` will do, decided before a byte is written. `--dry-run` prints it,
/// `--json` embeds it, and the converter follows it.
public struct ConversionPlan: Sendable, Codable {
    public struct Source: Sendable, Codable {
        public var path: String
        public var kind: DiskIdentity.Kind
        public var sizeBytes: UInt64
        /// What libblkid found: "ext4", "ntfs", "partition table dos" …
        public var holds: String
        /// The UUID and label libblkid found (a filesystem's, a swap area's).
        public var uuid: String?
        public var label: String?
        public var filesystemType: String?
        public var filesystemBytes: UInt64?
        public var usedBytes: UInt64?
        public var clean: Bool?
        public var distro: String?
        public var distroID: String?
        public var distroVersion: String?
        public var bootloader: String?
        /// Every kernel in the guest is Xen-only (EL5 kernel-xen): it cannot boot under KVM.
        public var onlyXenKernels: [String]?
        /// A partitioned source: the partition holding the Linux guest.
        public var guestPartition: Int?
    }

    public struct Target: Sendable, Codable {
        public var path: String
        /// "new file", "existing file" or "block device".
        public var kind: String
        /// Size before the run (0 for a new file).
        public var existingBytes: UInt64
        /// What libblkid found on it before the run.
        public var holds: String
        /// The size it will have.
        public var sizeBytes: UInt64
        /// True when convert creates (and on failure removes) the file.
        public var created: Bool
    }

    /// One safety check; a failed one refuses the run.
    public struct Check: Sendable, Codable {
        public var name: String
        public var passed: Bool
        public var detail: String

        public init(name: String, passed: Bool, detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    public var source: Source
    public var target: Target
    public var method: CopyMethod
    public var methodReason: String
    /// The new partition table; nil for a clone (the source's own table is copied).
    public var layout: DiskLayout?
    public var identity: TableIdentity?
    /// Bytes read from the source and written to the target.
    public var bytesToCopy: UInt64
    /// Scratch space needed besides the target (the resize method's shrunken copy).
    public var temporaryBytes: UInt64
    /// Where that scratch copy goes.
    public var temporaryDirectory: String?
    /// The resize method: the filesystem's new size in bytes (a whole number of blocks).
    public var resizeToBytes: UInt64?
    /// --repair-copy: every block of the filesystem is copied and e2fsck -fy repairs the copy.
    public var repairCopy: Bool
    public var checks: [Check]
    public var notes: [String]

    /// Where the guest lands on the new disk: a new table's partition 1 (a bare filesystem),
    /// the cloned disk's own partition (none for a clone of a bare disk), or nowhere (swap).
    public var guestPlacement: GuestPlacement {
        if method == .swap { return .noGuest }
        if layout != nil { return .newPartitionOne }
        return method == .clone ? .clonedDisk(guestPartition: source.guestPartition) : .noGuest
    }

    /// Whether the new disk holds a guest for the fixes: partition 1 is the guest's root.
    public var fixesGuest: Bool { guestPlacement.fixesGuest }

    /// Device names the fixes map beyond their defaults (`GuestPlacement.deviceMap`).
    public var guestDeviceMap: [String: String] { guestPlacement.deviceMap }

    /// The first failed check, which refuses the run.
    public var refusal: Check? { checks.first { !$0.passed } }
}
