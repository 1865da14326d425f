/// The MS-DOS boot sector (LBA 0): partition entries, disk signature, 0x55AA.
///
/// Bytes 0-439 (boot code) stay zero here: grub-install writes them later, once the guest's
/// bootloader is known.
public enum MBR {
    /// One of the four 16-byte primary partition entries.
    public struct Entry: Sendable, Equatable {
        /// 0x80 active (bootable), 0x00 inactive; anything else is not a partition table.
        public var bootIndicator: UInt8
        /// Partition type: 0x83 Linux, 0xEE GPT protective, 0 unused.
        public var type: UInt8
        public var firstLBA: UInt32
        public var sectorCount: UInt32

        public init(bootIndicator: UInt8, type: UInt8, firstLBA: UInt32, sectorCount: UInt32) {
            self.bootIndicator = bootIndicator
            self.type = type
            self.firstLBA = firstLBA
            self.sectorCount = sectorCount
        }

        /// Decodes 16 bytes; the CHS fields are ignored (every reader today uses the LBAs).
        public init(bytes: [UInt8]) {
            precondition(bytes.count >= PartitionTable.mbrEntrySize, "an MBR entry is 16 bytes")
            bootIndicator = bytes[0]
            type = bytes[4]
            firstLBA = bytes.le(UInt32.self, at: 8)
            sectorCount = bytes.le(UInt32.self, at: 12)
        }

        /// An entry no partition uses: type 0 or no sectors.
        public var isEmpty: Bool { type == 0 || sectorCount == 0 }

        /// The 16 bytes, with CHS addresses derived from the LBAs.
        public var bytes: [UInt8] {
            var raw = [UInt8](repeating: 0, count: PartitionTable.mbrEntrySize)
            raw[0] = bootIndicator
            raw.replaceSubrange(1..<4, with: MBR.chs(lba: UInt64(firstLBA)))
            raw[4] = type
            let last = UInt64(firstLBA) + UInt64(max(sectorCount, 1)) - 1
            raw.replaceSubrange(5..<8, with: MBR.chs(lba: last))
            raw.putLE(firstLBA, at: 8)
            raw.putLE(sectorCount, at: 12)
            return raw
        }
    }

    /// Sector 0 for `layout`: for `.mbr` one bootable 0x83 partition at the layout's start;
    /// for `.gpt` the protective MBR (the signature is then not written).
    public static func bootSector(for layout: DiskLayout, diskSignature: UInt32) -> [UInt8] {
        switch layout.table {
        case .gpt:
            return protectiveBootSector(diskSectors: layout.diskSectors)
        case .mbr:
            // DiskLayout guarantees start + size <= 2^32, so both fit 32 bits.
            let entry = Entry(
                bootIndicator: PartitionTable.bootableFlag, type: PartitionTable.mbrType(for: layout.content),
                firstLBA: UInt32(layout.partitionStart),
                sectorCount: UInt32(layout.partitionSectors))
            return sector(entries: [entry], diskSignature: diskSignature)
        }
    }

    /// The protective MBR in front of a GPT: one 0xEE entry from LBA 1 covering the disk
    /// (capped at 0xFFFFFFFF sectors), so MBR-only tools see the disk as in use.
    public static func protectiveBootSector(diskSectors: UInt64) -> [UInt8] {
        let entry = Entry(
            bootIndicator: 0, type: PartitionTable.protectiveMBRType, firstLBA: 1,
            sectorCount: UInt32(min(max(diskSectors, 1) - 1, UInt64(UInt32.max))))
        return sector(entries: [entry], diskSignature: 0)
    }

    /// A 512-byte sector with zero boot code, `entries` (at most 4), signature and 0x55AA.
    public static func sector(entries: [Entry], diskSignature: UInt32) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: PartitionTable.sectorSize)
        raw.putLE(diskSignature, at: PartitionTable.diskSignatureOffset)
        for (slot, entry) in entries.prefix(4).enumerated() {
            let offset = PartitionTable.mbrEntriesOffset + slot * PartitionTable.mbrEntrySize
            raw.replaceSubrange(offset..<offset + PartitionTable.mbrEntrySize, with: entry.bytes)
        }
        raw[510] = 0x55
        raw[511] = 0xAA
        return raw
    }

    /// The four entries of a boot sector (512 bytes).
    public static func entries(of sector: [UInt8]) -> [Entry] {
        precondition(sector.count >= 512, "a boot sector is 512 bytes")
        return (0..<4).map { slot in
            let offset = PartitionTable.mbrEntriesOffset + slot * PartitionTable.mbrEntrySize
            return Entry(bytes: Array(sector[offset..<offset + PartitionTable.mbrEntrySize]))
        }
    }

    /// The CHS address of `lba` under the 255-head, 63-sector translation every BIOS since
    /// the 1990s uses; 0xFE 0xFF 0xFF (the largest address) past cylinder 1023.
    public static func chs(lba: UInt64) -> [UInt8] {
        let heads: UInt64 = 255
        let sectorsPerTrack: UInt64 = 63
        let cylinder = lba / (heads * sectorsPerTrack)
        guard cylinder < 1024 else { return [0xFE, 0xFF, 0xFF] }
        let head = (lba / sectorsPerTrack) % heads
        let sector = lba % sectorsPerTrack + 1
        return [
            UInt8(head), UInt8(sector) | UInt8((cylinder >> 2) & 0xC0), UInt8(cylinder & 0xFF),
        ]
    }

    /// A random non-zero disk signature (zero reads as "no signature" to some tools).
    public static func randomDiskSignature() -> UInt32 {
        var generator = SystemRandomNumberGenerator()
        return UInt32.random(in: 1...UInt32.max, using: &generator)
    }
}
