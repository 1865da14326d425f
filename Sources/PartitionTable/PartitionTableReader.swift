import SystemPackage

/// Reads an MBR or GPT from a disk, image or byte source: to tell an already partitioned
/// source from a bare filesystem, and to check a table after writing it.
///
/// When is sector 0 an MBR? A bare ext filesystem has zeros there, but a FAT or NTFS boot
/// sector also ends in 0x55AA, and its bytes 446-509 are boot code. So sector 0 counts as a
/// partition table only if all of these hold:
/// - bytes 510-511 are 0x55 0xAA;
/// - every boot indicator is 0x00 or 0x80;
/// - at least one entry is used (type and length non-zero);
/// - it has no FAT/exFAT/NTFS boot sector marker ("NTFS    ", "EXFAT   " at 3, "FAT12   ",
///   "FAT16   ", "FAT     " at 54, "FAT32   " at 82);
/// - every used entry starts at sector 1 or later and before the end of the disk.
/// A partition that starts inside the disk but ends past it is reported as a problem (a
/// truncated image), not taken as proof that there is no table. A used 0xEE entry means
/// GPT; the GPT is then read and checked even if its headers are damaged.
///
/// Logical partitions inside an MBR extended partition are not listed (noted in problems).
public enum PartitionTableReader {
    /// Returns up to `count` bytes at byte `offset`; fewer only at the end of the disk.
    public typealias ReadBytes = (_ offset: UInt64, _ count: Int) throws(PartitionTableError)
        -> [UInt8]

    /// Reads the table of the file or device at `path`; nil when it holds none.
    public static func read(path: String) throws(PartitionTableError) -> DetectedTable? {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        defer { try? fd.close() }
        return try read(from: fd, name: path)
    }

    /// Reads the table through an open descriptor; `name` labels errors.
    public static func read(
        from fd: FileDescriptor, name: String = "the disk"
    ) throws(PartitionTableError) -> DetectedTable? {
        let size = try size(of: fd, name: name)
        return try read(diskBytes: size) { (offset, count) throws(PartitionTableError) in
            try readBytes(fd, name: name, offset: offset, count: count)
        }
    }

    /// Reads the table of a disk of `diskBytes` through `readBytes` (an in-memory image, a
    /// remote source …).
    public static func read(
        diskBytes: UInt64, using readBytes: ReadBytes
    ) throws(PartitionTableError) -> DetectedTable? {
        let diskSectors = diskBytes / 512
        let sector0 = try readBytes(0, 512)
        guard sector0.count == 512, sector0[510] == 0x55, sector0[511] == 0xAA else { return nil }
        let entries = MBR.entries(of: sector0)
        guard entries.allSatisfy({ $0.bootIndicator == 0 || $0.bootIndicator == 0x80 }) else {
            return nil
        }
        let used = entries.enumerated().filter { !$0.element.isEmpty }
        guard !used.isEmpty else { return nil }
        if used.contains(where: { $0.element.type == PartitionTable.protectiveMBRType }) {
            var table = try GPTReader.read(diskSectors: diskSectors, using: readBytes)
            if used.count > 1 {
                table.problems.insert(
                    "the protective MBR has other entries besides 0xEE (a hybrid MBR); "
                        + "only the GPT is listed", at: 0)
            }
            return table
        }
        guard !looksLikeFilesystemBootSector(sector0) else { return nil }
        guard used.allSatisfy({ $0.element.firstLBA >= 1 && $0.element.firstLBA < diskSectors })
        else { return nil }

        let partitions = used.map { slot, entry in
            DetectedPartition(
                index: slot + 1, startSector: UInt64(entry.firstLBA),
                sectorCount: UInt64(entry.sectorCount), mbrType: entry.type,
                bootable: entry.bootIndicator == PartitionTable.bootableFlag)
        }
        var problems = boundsProblems(partitions, diskSectors: diskSectors)
        for partition in partitions where [0x05, 0x0F, 0x85].contains(partition.mbrType) {
            problems.append(
                "partition \(partition.index) is an extended partition; the logical "
                    + "partitions inside it are not listed")
        }
        return DetectedTable(
            kind: .mbr, partitions: partitions,
            diskSignature: sector0.le(UInt32.self, at: PartitionTable.diskSignatureOffset),
            diskSectors: diskSectors, problems: problems)
    }

    /// Partitions past the end of the disk, and pairs that overlap.
    static func boundsProblems(_ partitions: [DetectedPartition], diskSectors: UInt64) -> [String] {
        var problems: [String] = []
        for partition in partitions where partition.endSector > diskSectors {
            problems.append(
                "partition \(partition.index) ends at sector \(partition.endSector - 1), past "
                    + "the end of the disk (\(diskSectors) sectors): the image may be truncated")
        }
        for (position, one) in partitions.enumerated() {
            for other in partitions[(position + 1)...]
            where one.startSector < other.endSector && other.startSector < one.endSector {
                problems.append("partitions \(one.index) and \(other.index) overlap")
            }
        }
        return problems
    }

    /// True for the boot sector of a FAT, exFAT or NTFS filesystem (not a partition table).
    static func looksLikeFilesystemBootSector(_ sector: [UInt8]) -> Bool {
        let markers = [
            (3, "NTFS    "), (3, "EXFAT   "), (54, "FAT12   "), (54, "FAT16   "),
            (54, "FAT     "), (82, "FAT32   "),
        ]
        return markers.contains { offset, text in
            Array(sector[offset..<offset + 8]) == Array(text.utf8)
        }
    }

    /// Size of a file or block device, from seeking to its end.
    static func size(of fd: FileDescriptor, name: String) throws(PartitionTableError) -> UInt64 {
        do {
            return UInt64(try fd.seek(offset: 0, from: .end))
        } catch {
            throw .io(path: name, operation: "finding the size", reason: "\(error)")
        }
    }

    /// Reads up to `count` bytes at `offset`, stopping early only at end of file.
    static func readBytes(
        _ fd: FileDescriptor, name: String, offset: UInt64, count: Int
    ) throws(PartitionTableError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got: Int
            do {
                got = try buffer.withUnsafeMutableBytes { raw in
                    try fd.read(
                        fromAbsoluteOffset: Int64(offset) + Int64(filled),
                        into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                }
            } catch {
                throw .io(
                    path: name, operation: "reading \(count) bytes at offset \(offset)",
                    reason: "\(error)")
            }
            if got == 0 { break }
            filled += got
        }
        return Array(buffer.prefix(filled))
    }
}
