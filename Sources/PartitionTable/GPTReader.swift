/// Reads both copies of a GPT behind a protective MBR, checks their CRCs and agreement, and
/// lists the partitions from the first sound copy (primary, else backup).
enum GPTReader {
    /// One header with its entry array, and whether each passed its CRC.
    struct Copy {
        var header: GPT.Header
        var headerOK: Bool
        var entries: [UInt8]?
        var entriesOK: Bool
        var sound: Bool { headerOK && entriesOK }
    }

    /// Larger arrays than this are taken as garbage (the standard one is 16 KiB).
    static let maxEntriesBytes = 4 << 20

    static func read(
        diskSectors: UInt64, using readBytes: PartitionTableReader.ReadBytes
    ) throws(PartitionTableError) -> DetectedTable {
        var problems: [String] = []
        guard diskSectors >= 3 else {
            problems.append("the disk has \(diskSectors) sectors, too few to hold a GPT")
            return DetectedTable(
                kind: .gpt, partitions: [], diskSectors: diskSectors,
                problems: problems)
        }
        let lastLBA = diskSectors - 1
        let primary = try load(1, "primary", diskSectors, readBytes, &problems)
        var backupLBA = lastLBA
        if let primary, primary.headerOK, primary.header.alternateLBA != lastLBA {
            let alternate = primary.header.alternateLBA
            problems.append(
                "the primary GPT header puts the backup at LBA \(alternate) but the last "
                    + "sector is \(lastLBA): the disk was resized or the image is truncated")
            if alternate > 1 && alternate < diskSectors { backupLBA = alternate }
        }
        let backup = try load(backupLBA, "backup", diskSectors, readBytes, &problems)
        if let primary, let backup, primary.headerOK, backup.headerOK {
            problems += mismatches(primary.header, backup.header)
        }

        var chosen = primary
        if primary?.sound != true, backup?.sound == true {
            problems.append("the primary GPT is damaged; the partitions are read from the backup")
            chosen = backup
        } else if primary?.entries == nil {
            chosen = backup
        }
        let diskGUID = chosen?.header.diskGUID ?? primary?.header.diskGUID
        guard let chosen, let entries = chosen.entries else {
            problems.append("no readable GPT entry array: the partitions cannot be listed")
            return DetectedTable(
                kind: .gpt, partitions: [], diskGUID: diskGUID, diskSectors: diskSectors,
                problems: problems)
        }
        let partitions = self.partitions(in: entries, header: chosen.header)
        problems += usableRangeProblems(partitions, header: chosen.header)
        problems += PartitionTableReader.boundsProblems(partitions, diskSectors: diskSectors)
        return DetectedTable(
            kind: .gpt, partitions: partitions, diskGUID: diskGUID, diskSectors: diskSectors,
            problems: problems)
    }

    /// Loads the header at `lba` and its entries; nil (with a problem) when there is none.
    static func load(
        _ lba: UInt64, _ which: String, _ diskSectors: UInt64,
        _ readBytes: PartitionTableReader.ReadBytes, _ problems: inout [String]
    ) throws(PartitionTableError) -> Copy? {
        let raw = try readBytes(lba * 512, 512)
        guard raw.count == 512, let header = GPT.Header(sector: raw) else {
            problems.append("the \(which) GPT header at LBA \(lba) is missing")
            return nil
        }
        var copy = Copy(header: header, headerOK: true, entries: nil, entriesOK: false)
        let computed = GPT.checksum(ofHeaderSector: raw)
        if computed != header.headerCRC {
            copy.headerOK = false
            problems.append(
                "the \(which) GPT header at LBA \(lba) has a bad CRC (stored "
                    + "\(hex(header.headerCRC)), computed \(hex(computed)))")
        }
        if header.myLBA != lba {
            problems.append(
                "the \(which) GPT header at LBA \(lba) gives its own location as \(header.myLBA)")
        }
        let count = header.entriesByteCount
        guard header.entrySize >= 128, header.entrySize % 8 == 0, count > 0,
            count <= maxEntriesBytes, header.entriesLBA >= 1, header.entriesLBA < diskSectors,
            header.entriesLBA + DiskLayout.sectorsCovering(UInt64(count)) <= diskSectors
        else {
            problems.append(
                "the \(which) GPT header describes an impossible entry array (\(header.entryCount)"
                    + " entries of \(header.entrySize) bytes at LBA \(header.entriesLBA))")
            return copy
        }
        let entries = try readBytes(header.entriesLBA * 512, count)
        guard entries.count == count else {
            problems.append("the \(which) GPT entry array at LBA \(header.entriesLBA) is cut short")
            return copy
        }
        copy.entries = entries
        copy.entriesOK = CRC32.checksum(entries) == header.entriesCRC
        if !copy.entriesOK {
            problems.append(
                "the \(which) GPT entry array at LBA \(header.entriesLBA) has a bad CRC")
        }
        return copy
    }

    /// Fields in which two sound headers disagree.
    static func mismatches(_ primary: GPT.Header, _ backup: GPT.Header) -> [String] {
        var fields: [String] = []
        if primary.diskGUID != backup.diskGUID { fields.append("disk GUID") }
        if primary.firstUsableLBA != backup.firstUsableLBA { fields.append("first usable LBA") }
        if primary.lastUsableLBA != backup.lastUsableLBA { fields.append("last usable LBA") }
        if primary.entryCount != backup.entryCount || primary.entrySize != backup.entrySize {
            fields.append("entry array size")
        }
        if primary.entriesCRC != backup.entriesCRC { fields.append("entries CRC") }
        if backup.alternateLBA != primary.myLBA { fields.append("alternate LBA") }
        guard !fields.isEmpty else { return [] }
        return [
            "the backup GPT header does not match the primary (\(fields.joined(separator: ", ")))"
        ]
    }

    /// Used entries of an array, numbered from 1 by slot.
    static func partitions(in entries: [UInt8], header: GPT.Header) -> [DetectedPartition] {
        let size = Int(header.entrySize)
        return (0..<Int(header.entryCount)).compactMap { slot in
            let entry = GPT.Entry(bytes: Array(entries[slot * size..<slot * size + 128]))
            guard !entry.isEmpty else { return nil }
            // Saturating: a damaged entry may hold any 64-bit values.
            let span = entry.lastLBA >= entry.firstLBA ? entry.lastLBA - entry.firstLBA : nil
            let count = span.map { $0 == UInt64.max ? $0 : $0 + 1 } ?? 0
            return DetectedPartition(
                index: slot + 1, startSector: entry.firstLBA, sectorCount: count,
                typeGUID: entry.typeGUID, uniqueGUID: entry.uniqueGUID,
                bootable: entry.attributes & 0b100 != 0, name: entry.name)
        }
    }

    /// Partitions that end before they start or leave the header's usable range.
    static func usableRangeProblems(
        _ partitions: [DetectedPartition], header: GPT.Header
    ) -> [String] {
        partitions.compactMap { partition in
            if partition.sectorCount == 0 {
                return "partition \(partition.index) ends before it starts"
            }
            let last = partition.endSector - 1
            guard partition.startSector < header.firstUsableLBA || last > header.lastUsableLBA
            else { return nil }
            return "partition \(partition.index) (sectors \(partition.startSector)-\(last)) lies "
                + "outside the usable sectors \(header.firstUsableLBA)-\(header.lastUsableLBA)"
        }
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16, uppercase: true) }
}
