import BlockProbe
import Conversion
import XenDefinition

/// What a Xen disk holds, as libblkid sees it, and therefore how it moves. One rule for both
/// the device map (the name the guest will use) and the copy method (what is written).
enum DiskContent: Equatable {
    case swap
    /// ext2/3/4 or XFS with no partition table: convert puts it into partition 1.
    case bareFilesystem(String)
    case partitioned(String)
    /// Anything else bare (an LVM PV, LUKS, btrfs) or unrecognised: copied as it is.
    case other(String?)

    init(_ probe: ProbeResult) {
        if let table = probe.partitionTable {
            self = .partitioned(table)
        } else if probe.type == "swap" {
            self = .swap
        } else if let type = probe.type, type.hasPrefix("ext") || type == "xfs" {
            self = .bareFilesystem(type)
        } else {
            self = .other(probe.type)
        }
    }

    var mapContent: DeviceMap.WholeDiskContent {
        switch self {
        case .swap, .bareFilesystem: .bareFilesystem
        case .partitioned: .partitioned
        case .other: .wholeVolume
        }
    }

    /// The method for a disk that is not the root, and why.
    func dataMethod(kvmName: String) -> (CopyMethod, String) {
        switch self {
        case .swap:
            return (.swap, "a swap area: \(kvmName) gets a new one with the same UUID and label (nothing to copy)")
        case .bareFilesystem(let type):
            return (
                .auto,
                "a bare \(type) filesystem: put into partition 1 of a disk of its own, \(kvmName), the name the "
                    + "fixed fstab gives it"
            )
        case .partitioned(let table):
            return (.clone, "partitioned (\(table)): cloned as it is, its partitions keep their numbers")
        case .other(let type):
            return (
                .clone,
                "\(type.map { "a bare \($0) volume" } ?? "nothing libblkid recognises"): copied as it is, with no "
                    + "partition table put around it; the guest finds it as \(kvmName)"
            )
        }
    }
}
