/// The GUID partition table: header (LBA 1, backup at the last LBA) and the 128-entry array
/// (LBA 2-33, backup just before the backup header), each guarded by a CRC32.
public enum GPT {
    /// A GPT header. `sector` encodes it with a fresh CRC; `init?(sector:)` keeps the stored
    /// CRC in `headerCRC` so a reader can compare it with `checksum(ofHeaderSector:)`.
    public struct Header: Sendable, Equatable {
        public var revision: UInt32 = PartitionTable.gptRevision
        public var headerSize: UInt32 = PartitionTable.gptHeaderSize
        public var headerCRC: UInt32 = 0
        /// The LBA of this copy, and of the other copy.
        public var myLBA: UInt64
        public var alternateLBA: UInt64
        public var firstUsableLBA: UInt64
        public var lastUsableLBA: UInt64
        public var diskGUID: GUID
        public var entriesLBA: UInt64
        public var entryCount: UInt32 = UInt32(PartitionTable.gptEntryCount)
        public var entrySize: UInt32 = UInt32(PartitionTable.gptEntrySize)
        public var entriesCRC: UInt32

        public init(
            myLBA: UInt64, alternateLBA: UInt64, firstUsableLBA: UInt64, lastUsableLBA: UInt64,
            diskGUID: GUID, entriesLBA: UInt64, entriesCRC: UInt32
        ) {
            self.myLBA = myLBA
            self.alternateLBA = alternateLBA
            self.firstUsableLBA = firstUsableLBA
            self.lastUsableLBA = lastUsableLBA
            self.diskGUID = diskGUID
            self.entriesLBA = entriesLBA
            self.entriesCRC = entriesCRC
        }

        /// Decodes a header sector; nil without "EFI PART" or with an impossible header size.
        public init?(sector raw: [UInt8]) {
            guard raw.count >= 512, Array(raw[0..<8]) == PartitionTable.gptSignature else {
                return nil
            }
            headerSize = raw.le(UInt32.self, at: 12)
            guard headerSize >= PartitionTable.gptHeaderSize, headerSize <= 512 else { return nil }
            revision = raw.le(UInt32.self, at: 8)
            headerCRC = raw.le(UInt32.self, at: 16)
            myLBA = raw.le(UInt64.self, at: 24)
            alternateLBA = raw.le(UInt64.self, at: 32)
            firstUsableLBA = raw.le(UInt64.self, at: 40)
            lastUsableLBA = raw.le(UInt64.self, at: 48)
            diskGUID = GUID(diskBytes: raw[56..<72])!
            entriesLBA = raw.le(UInt64.self, at: 72)
            entryCount = raw.le(UInt32.self, at: 80)
            entrySize = raw.le(UInt32.self, at: 84)
            entriesCRC = raw.le(UInt32.self, at: 88)
        }

        /// The 512-byte sector, its CRC computed over the first `headerSize` bytes.
        public var sector: [UInt8] {
            var raw = [UInt8](repeating: 0, count: PartitionTable.sectorSize)
            raw.replaceSubrange(0..<8, with: PartitionTable.gptSignature)
            raw.putLE(revision, at: 8)
            raw.putLE(headerSize, at: 12)
            raw.putLE(myLBA, at: 24)
            raw.putLE(alternateLBA, at: 32)
            raw.putLE(firstUsableLBA, at: 40)
            raw.putLE(lastUsableLBA, at: 48)
            raw.replaceSubrange(56..<72, with: diskGUID.diskBytes)
            raw.putLE(entriesLBA, at: 72)
            raw.putLE(entryCount, at: 80)
            raw.putLE(entrySize, at: 84)
            raw.putLE(entriesCRC, at: 88)
            raw.putLE(GPT.checksum(ofHeaderSector: raw), at: 16)
            return raw
        }

        /// Bytes of the entry array this header describes. Clamped: a damaged header's two
        /// 32-bit fields multiply past Int.max.
        public var entriesByteCount: Int { Int(clamping: UInt64(entryCount) * UInt64(entrySize)) }
    }

    /// One 128-byte partition entry.
    public struct Entry: Sendable, Equatable {
        public var typeGUID: GUID
        public var uniqueGUID: GUID
        public var firstLBA: UInt64
        /// Inclusive.
        public var lastLBA: UInt64
        /// Bit 0 required, bit 2 legacy BIOS bootable; none are set here.
        public var attributes: UInt64
        /// Up to 36 UTF-16 code units.
        public var name: String

        public init(
            typeGUID: GUID, uniqueGUID: GUID, firstLBA: UInt64, lastLBA: UInt64,
            attributes: UInt64 = 0, name: String
        ) {
            self.typeGUID = typeGUID
            self.uniqueGUID = uniqueGUID
            self.firstLBA = firstLBA
            self.lastLBA = lastLBA
            self.attributes = attributes
            self.name = name
        }

        /// Decodes at least 128 bytes (larger entry sizes carry unused tail bytes).
        public init(bytes raw: [UInt8]) {
            precondition(raw.count >= PartitionTable.gptEntrySize, "a GPT entry is 128 bytes")
            typeGUID = GUID(diskBytes: raw[0..<16])!
            uniqueGUID = GUID(diskBytes: raw[16..<32])!
            firstLBA = raw.le(UInt64.self, at: 32)
            lastLBA = raw.le(UInt64.self, at: 40)
            attributes = raw.le(UInt64.self, at: 48)
            let units = stride(from: 56, to: 128, by: 2).map { raw.le(UInt16.self, at: $0) }
            name = String(decoding: units.prefix { $0 != 0 }, as: UTF16.self)
        }

        /// An unused slot: all-zero type GUID.
        public var isEmpty: Bool { typeGUID.isZero }

        /// The 128 bytes; the name is cut to 36 UTF-16 code units.
        public var bytes: [UInt8] {
            var raw = [UInt8](repeating: 0, count: PartitionTable.gptEntrySize)
            raw.replaceSubrange(0..<16, with: typeGUID.diskBytes)
            raw.replaceSubrange(16..<32, with: uniqueGUID.diskBytes)
            raw.putLE(firstLBA, at: 32)
            raw.putLE(lastLBA, at: 40)
            raw.putLE(attributes, at: 48)
            for (index, unit) in name.utf16.prefix(36).enumerated() {
                raw.putLE(unit, at: 56 + 2 * index)
            }
            return raw
        }
    }

    /// The two entries xen2kvm writes. The Linux filesystem stays entry 1 (the guest's vda1,
    /// matching its fstab) even though the BIOS boot partition (entry 2) comes first on disk.
    public static func entries(for layout: DiskLayout, identity: TableIdentity) -> [Entry] {
        [
            Entry(
                typeGUID: PartitionTable.gptType(for: layout.content),
                uniqueGUID: identity.linuxPartitionGUID, firstLBA: layout.partitionStart,
                lastLBA: layout.partitionLastSector,
                name: layout.content == .linuxSwap ? PartitionTable.linuxSwapName : PartitionTable.linuxFilesystemName),
            Entry(
                typeGUID: PartitionTable.biosBootType, uniqueGUID: identity.biosBootPartitionGUID,
                firstLBA: PartitionTable.biosBootFirstLBA,
                lastLBA: PartitionTable.biosBootLastLBA, name: PartitionTable.biosBootName),
        ]
    }

    /// The full 128 x 128-byte array (32 sectors), unused slots zero.
    public static func entryArray(_ entries: [Entry]) -> [UInt8] {
        var raw = [UInt8](
            repeating: 0, count: PartitionTable.gptEntryCount * PartitionTable.gptEntrySize)
        for (slot, entry) in entries.prefix(PartitionTable.gptEntryCount).enumerated() {
            let offset = slot * PartitionTable.gptEntrySize
            raw.replaceSubrange(offset..<offset + PartitionTable.gptEntrySize, with: entry.bytes)
        }
        return raw
    }

    /// Primary (LBA 1, entries at 2) and backup (last LBA, entries at disk - 33) headers.
    public static func headers(
        for layout: DiskLayout, diskGUID: GUID, entriesCRC: UInt32
    ) -> (primary: Header, backup: Header) {
        let last = layout.diskSectors - 1
        let primary = Header(
            myLBA: 1, alternateLBA: last, firstUsableLBA: PartitionTable.gptFirstUsableLBA,
            lastUsableLBA: layout.diskSectors - PartitionTable.gptFirstUsableLBA,
            diskGUID: diskGUID, entriesLBA: 2, entriesCRC: entriesCRC)
        var backup = primary
        backup.myLBA = last
        backup.alternateLBA = 1
        backup.entriesLBA = layout.diskSectors - PartitionTable.gptBackupSectors
        return (primary, backup)
    }

    /// The CRC a header sector should carry: over `headerSize` bytes with the CRC field zero.
    public static func checksum(ofHeaderSector raw: [UInt8]) -> UInt32 {
        let size = Int(min(max(raw.le(UInt32.self, at: 12), 92), 512))
        var covered = Array(raw[0..<size])
        covered.replaceSubrange(16..<20, with: [0, 0, 0, 0])
        return CRC32.checksum(covered)
    }
}
