/// The partition table kinds this module writes.
public enum TableKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// MS-DOS table in sector 0; grub legacy and grub2 both boot it; limited to 2 TiB.
    case mbr
    /// GUID partition table with a BIOS boot partition for grub2's core.img.
    case gpt

    public var description: String { rawValue }
}

/// What partition 1 holds, which sets its type (MBR 0x83/0x82, the GPT type GUID).
public enum PartitionContent: String, Sendable, Codable {
    case linuxFilesystem
    case linuxSwap
}

/// All disk geometry in one place: where partition 1 starts, how long it is, how big the disk
/// is. Every value is checked on construction, so a `DiskLayout` that exists is writable.
///
/// Build one from the filesystem to place (`forFilesystem`: the size a new target needs) or
/// from a target whose size is fixed (`forDisk`: the partition fills it).
public struct DiskLayout: Sendable, Equatable, Codable, CustomStringConvertible {
    public let table: TableKind
    /// First sector of partition 1.
    public let partitionStart: UInt64
    /// Length of partition 1 in sectors.
    public let partitionSectors: UInt64
    /// Length of the whole disk in sectors.
    public let diskSectors: UInt64
    /// Bytes per sector; always 512.
    public let sectorSize: Int
    /// A Linux filesystem unless set otherwise (a swap disk).
    public var content = PartitionContent.linuxFilesystem

    /// A layout from explicit numbers, validated (start, sizes, MBR 2 TiB limit, GPT backup).
    public init(
        table: TableKind, partitionStart: UInt64, partitionSectors: UInt64, diskSectors: UInt64
    ) throws(PartitionTableError) {
        try DiskLayout.checkStart(partitionStart, table: table)
        for sectors in [partitionStart, partitionSectors, diskSectors] {
            guard sectors <= DiskLayout.maxSectors else { throw .tooLarge(sectors: sectors) }
        }
        guard partitionSectors > 0 else { throw .emptyPartition }
        let end = partitionStart + partitionSectors
        if table == .mbr && end > PartitionTable.mbrSectorLimit {
            throw .beyondMBRLimit(partitionEndSector: end - 1)
        }
        let needed = end + DiskLayout.trailingSectors(for: table)
        guard diskSectors >= needed else {
            throw .diskTooSmall(
                table: table, diskBytes: diskSectors * 512, neededBytes: needed * 512)
        }
        self.table = table
        self.partitionStart = partitionStart
        self.partitionSectors = partitionSectors
        self.diskSectors = diskSectors
        self.sectorSize = PartitionTable.sectorSize
    }

    /// The smallest disk for a filesystem of `bytes`: partition 1 covers exactly the
    /// filesystem (rounded up to whole sectors), then the GPT backup if any.
    public static func forFilesystem(
        bytes: UInt64, table: TableKind, start: UInt64 = PartitionTable.defaultStart
    ) throws(PartitionTableError) -> DiskLayout {
        guard bytes > 0 else { throw .emptyFilesystem }
        try checkStart(start, table: table)
        let sectors = sectorsCovering(bytes)
        guard max(sectors, start) <= maxSectors else {
            throw .tooLarge(sectors: max(sectors, start))
        }
        let disk = start + sectors + trailingSectors(for: table)
        return try DiskLayout(
            table: table, partitionStart: start, partitionSectors: sectors, diskSectors: disk)
    }

    /// A layout for a target of fixed size (block device, existing file): partition 1 runs
    /// from `start` to the end (less the GPT backup). A partial last sector is left unused.
    /// `partitionBytes` then says how much filesystem fits.
    public static func forDisk(
        bytes: UInt64, table: TableKind, start: UInt64 = PartitionTable.defaultStart
    ) throws(PartitionTableError) -> DiskLayout {
        try checkStart(start, table: table)
        let disk = bytes / 512
        guard max(disk, start) <= maxSectors else { throw .tooLarge(sectors: max(disk, start)) }
        let reserved = start + trailingSectors(for: table)
        guard disk > reserved else {
            throw .diskTooSmall(table: table, diskBytes: bytes, neededBytes: (reserved + 1) * 512)
        }
        return try DiskLayout(
            table: table, partitionStart: start, partitionSectors: disk - reserved,
            diskSectors: disk)
    }

    /// The size a target needs for a filesystem of `filesystemBytes`.
    public static func requiredDiskBytes(
        filesystemBytes: UInt64, table: TableKind, start: UInt64 = PartitionTable.defaultStart
    ) throws(PartitionTableError) -> UInt64 {
        try forFilesystem(bytes: filesystemBytes, table: table, start: start).diskBytes
    }

    /// Partition 1's first sector: 2048, or 32 for the DOS-compatible layout.
    public static func start(dosCompatible: Bool) -> UInt64 {
        dosCompatible ? PartitionTable.dosCompatibleStart : PartitionTable.defaultStart
    }

    /// The smallest start allowed: 32 for MBR (room for grub legacy's stage1_5), 2048 for
    /// GPT (the BIOS boot partition takes 34 ... 2047).
    public static func minimumStart(for table: TableKind) -> UInt64 {
        table == .gpt ? PartitionTable.biosBootLastLBA + 1 : PartitionTable.dosCompatibleStart
    }

    /// Sectors after partition 1 that the table itself needs: the GPT backup, or none.
    public static func trailingSectors(for table: TableKind) -> UInt64 {
        table == .gpt ? PartitionTable.gptBackupSectors : 0
    }

    /// Byte offset of partition 1: where the filesystem goes.
    public var partitionOffsetBytes: UInt64 { partitionStart * 512 }
    /// Length of partition 1 in bytes: the largest filesystem that fits.
    public var partitionBytes: UInt64 { partitionSectors * 512 }
    /// Length of the disk in bytes: the size a target must have.
    public var diskBytes: UInt64 { diskSectors * 512 }
    /// Last sector of partition 1 (inclusive).
    public var partitionLastSector: UInt64 { partitionStart + partitionSectors - 1 }

    /// True when a filesystem of `filesystemBytes` fits in partition 1.
    public func fits(filesystemBytes: UInt64) -> Bool { filesystemBytes <= partitionBytes }

    public var description: String {
        "\(table): partition 1 at sector \(partitionStart), \(partitionSectors) sectors "
            + "(\(partitionBytes) bytes); disk \(diskSectors) sectors (\(diskBytes) bytes)"
    }

    /// Decodes and validates, so a layout read from a plan file is as safe as a new one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let size = try container.decodeIfPresent(Int.self, forKey: .sectorSize) ?? 512
        guard size == PartitionTable.sectorSize else {
            throw PartitionTableError.unsupportedSectorSize(size)
        }
        try self.init(
            table: container.decode(TableKind.self, forKey: .table),
            partitionStart: container.decode(UInt64.self, forKey: .partitionStart),
            partitionSectors: container.decode(UInt64.self, forKey: .partitionSectors),
            diskSectors: container.decode(UInt64.self, forKey: .diskSectors))
    }

    /// Keeps byte counts within UInt64 and sums of three sector counts from overflowing.
    static let maxSectors: UInt64 = UInt64.max >> 10

    static func sectorsCovering(_ bytes: UInt64) -> UInt64 {
        bytes / 512 + (bytes % 512 == 0 ? 0 : 1)
    }

    private static func checkStart(_ start: UInt64, table: TableKind) throws(PartitionTableError) {
        let minimum = minimumStart(for: table)
        guard start >= minimum else {
            throw .startTooSmall(table: table, start: start, minimum: minimum)
        }
    }
}
