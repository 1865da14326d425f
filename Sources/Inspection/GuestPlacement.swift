/// Where the guest's root lands on the disk `convert` makes, which decides whether the guest
/// fixes run and which device names they map beyond their defaults. The fixes (bootloader
/// install, `root=/dev/vda1`) assume a root in partition 1 of the first virtio disk.
///
/// One rule for a conversion plan (`ConversionPlan.guestPlacement`) and for inspection's
/// preview of convert's defaults (`inspect --edits`, `GuestChecks`' device names).
public enum GuestPlacement: Sendable, Equatable {
    /// A bare filesystem put into partition 1 of a new partition table.
    case newPartitionOne
    /// A partitioned Xen disk copied as it is, its own table and partitions kept; the Linux
    /// guest in `guestPartition` (nil: none found).
    case clonedDisk(guestPartition: Int?)
    /// No guest on the new disk (a swap area, a copy of a bare non-ext disk).
    case noGuest

    /// What `convert SOURCE TARGET` with no options makes of the source inspection read: a
    /// bare filesystem goes into partition 1 of a new disk; a partitioned Xen disk is cloned.
    public init(convertDefaultsFor report: InspectionReport) {
        self =
            report.source.partitionTable == nil ? .newPartitionOne : .clonedDisk(guestPartition: report.guestPartition)
    }

    /// The guest is fixed when its root is partition 1 of the new disk.
    public var fixesGuest: Bool {
        switch self {
        case .newPartitionOne: true
        case .clonedDisk(let partition): partition == 1
        case .noGuest: false
        }
    }

    /// Device names the fixes map beyond their defaults: a partitioned Xen disk's own
    /// partitions (xvda2 swap beside root on xvda1) stay on the same disk, vda2.
    public var deviceMap: [String: String] {
        self == .clonedDisk(guestPartition: 1) ? ["xvda": "vda"] : [:]
    }

    /// Why convert fixes no guest on the new disk, for a preview; nil when it does.
    public var notFixed: String? {
        switch self {
        case .newPartitionOne, .clonedDisk(guestPartition: 1): nil
        case .clonedDisk(guestPartition: nil):
            "no Linux guest found in a partition: convert clones the disk as it is and fixes nothing"
        case .clonedDisk(let partition?):
            "the guest is in partition \(partition): convert fixes a guest whose root is partition 1 only, and "
                + "copies this disk unchanged"
        case .noGuest: "no guest on the new disk: convert fixes nothing"
        }
    }
}
