/// Everything that can go wrong planning or writing a partition table, worded for the
/// operator: what is wrong, and what to do about it.
public enum PartitionTableError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Partition 1 starts before the smallest start the table kind allows.
    case startTooSmall(table: TableKind, start: UInt64, minimum: UInt64)
    /// The filesystem to place is 0 bytes.
    case emptyFilesystem
    /// Partition 1 would hold no sectors.
    case emptyPartition
    /// The disk cannot hold the table, the partition and (GPT) the backup table.
    case diskTooSmall(table: TableKind, diskBytes: UInt64, neededBytes: UInt64)
    /// An MBR partition would end past sector 2^32.
    case beyondMBRLimit(partitionEndSector: UInt64)
    /// A sector count whose byte arithmetic would overflow 64 bits.
    case tooLarge(sectors: UInt64)
    /// A sector size other than 512 (from decoded data).
    case unsupportedSectorSize(Int)
    /// The target or source could not be opened.
    case cannotOpen(path: String, reason: String)
    /// A read, write, seek, sync or resize failed.
    case io(path: String, operation: String, reason: String)
    /// The target is smaller than the layout's disk; the writer never grows it.
    case targetTooSmall(path: String, bytes: UInt64, neededBytes: UInt64)
    /// A GPT target whose size differs from the layout's: the backup would not sit in the
    /// last sector.
    case gptTargetSizeMismatch(path: String, bytes: UInt64, layoutBytes: UInt64)

    public var description: String {
        switch self {
        case .startTooSmall(.gpt, let start, let minimum):
            return "GPT needs the partition at sector \(minimum) or later (sectors 34-2047 hold "
                + "the BIOS boot partition), not \(start); drop --dos-compat or use --table mbr"
        case .startTooSmall(.mbr, let start, let minimum):
            return "partition 1 cannot start at sector \(start): an MBR disk needs at least "
                + "\(minimum) (room for the boot loader); use the default 2048 or --dos-compat (32)"
        case .emptyFilesystem:
            return "the filesystem is 0 bytes: there is nothing to put in partition 1; "
                + "check that the source is the right volume or image"
        case .emptyPartition:
            return "partition 1 would hold no sectors; give it a size of at least one sector"
        case .diskTooSmall(let table, let diskBytes, let neededBytes):
            let backup = table == .gpt ? " and the 33-sector backup GPT" : ""
            return "the disk holds \(diskBytes) bytes but the table, partition 1\(backup) need "
                + "\(neededBytes); use a larger target or shrink the filesystem first "
                + "(resize2fs on a copy, never on the source)"
        case .beyondMBRLimit(let end):
            return "partition 1 would end at sector \(end), past the 2 TiB limit of MBR's "
                + "32-bit sector numbers (2^32 sectors); use --table gpt"
        case .tooLarge(let sectors):
            return "\(sectors) sectors is beyond what a partition table can describe; "
                + "check the size given"
        case .unsupportedSectorSize(let size):
            return "sector size \(size) is not supported: only 512-byte sectors are written"
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .io(let path, let operation, let reason):
            return "\(operation) on \(path) failed: \(reason)"
        case .targetTooSmall(let path, let bytes, let neededBytes):
            return "\(path) holds \(bytes) bytes but the layout needs \(neededBytes); the "
                + "partition table writer never grows a target: extend an image file first "
                + "(prepareSparseFile / truncate -s) or pick a larger device"
        case .gptTargetSizeMismatch(let path, let bytes, let layoutBytes):
            return "\(path) holds \(bytes) bytes but the GPT layout was planned for a disk of "
                + "\(layoutBytes); GPT keeps its backup in the last sector, so plan the layout "
                + "from the target's size (DiskLayout.forDisk, or diskSectors = its sector count)"
        }
    }
}
