import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Puts a `DiskLayout`'s table on a file or block device.
///
/// Only table sectors are written: sector 0 for MBR; for GPT also LBA 1-33 and the last 33
/// sectors. Partition 1's data is never touched, so the table may be written after the
/// filesystem was copied in. The target is never grown (see `prepareSparseFile`).
public enum PartitionTableWriter {
    /// The table as (byte offset, bytes) writes, in the order they are made: backup GPT
    /// first and sector 0 last, so an interrupted write never leaves a table that points at
    /// a missing one. Pure: `--dry-run` and tests use it without I/O.
    public static func sectors(
        for layout: DiskLayout, identity: TableIdentity
    ) -> [(offset: UInt64, bytes: [UInt8])] {
        let bootSector = MBR.bootSector(for: layout, diskSignature: identity.diskSignature)
        guard layout.table == .gpt else { return [(0, bootSector)] }
        let entries = GPT.entryArray(GPT.entries(for: layout, identity: identity))
        let headers = GPT.headers(
            for: layout, diskGUID: identity.diskGUID, entriesCRC: CRC32.checksum(entries))
        let sector = UInt64(PartitionTable.sectorSize)
        return [
            (headers.backup.entriesLBA * sector, entries),
            (headers.backup.myLBA * sector, headers.backup.sector),
            (headers.primary.entriesLBA * sector, entries),
            (headers.primary.myLBA * sector, headers.primary.sector),
            (0, bootSector),
        ]
    }

    /// Writes `layout`'s table to the existing file or device at `path`; identifiers not
    /// given are random. Returns the identifiers written, for the report.
    @discardableResult
    public static func write(
        _ layout: DiskLayout, to path: String, diskSignature: UInt32? = nil,
        diskGUID: GUID? = nil
    ) throws(PartitionTableError) -> TableIdentity {
        let identity = TableIdentity(diskSignature: diskSignature, diskGUID: diskGUID)
        try write(layout, to: path, identity: identity)
        return identity
    }

    /// Writes `layout`'s table with fixed identifiers to the file or device at `path`.
    public static func write(
        _ layout: DiskLayout, to path: String, identity: TableIdentity
    ) throws(PartitionTableError) {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.closeOnExec])
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        defer { try? fd.close() }
        try write(layout, to: fd, identity: identity, name: path)
    }

    /// Writes to an open descriptor (opened for writing); `name` labels errors. Checks the
    /// target holds `layout.diskBytes` (for GPT: has exactly `layout.diskSectors` sectors, as
    /// the backup goes in the last one), writes, then syncs.
    public static func write(
        _ layout: DiskLayout, to fd: FileDescriptor, identity: TableIdentity,
        name: String = "the target"
    ) throws(PartitionTableError) {
        let size = try PartitionTableReader.size(of: fd, name: name)
        guard size >= layout.diskBytes else {
            throw .targetTooSmall(path: name, bytes: size, neededBytes: layout.diskBytes)
        }
        guard layout.table == .mbr || size / 512 == layout.diskSectors else {
            throw .gptTargetSizeMismatch(path: name, bytes: size, layoutBytes: layout.diskBytes)
        }
        for (offset, bytes) in sectors(for: layout, identity: identity) {
            do {
                _ = try fd.writeAll(toAbsoluteOffset: Int64(offset), bytes)
            } catch {
                throw .io(
                    path: name, operation: "writing \(bytes.count) bytes at offset \(offset)",
                    reason: "\(error)")
            }
        }
        guard fsync(fd.rawValue) == 0 else {
            throw .io(path: name, operation: "fsync", reason: "\(Errno(rawValue: errno))")
        }
    }

    /// Creates the image file at `path`, or extends it, to at least `bytes` without
    /// allocating data (ftruncate): a sparse target for the copy. Never shrinks a file.
    public static func prepareSparseFile(
        at path: String, bytes: UInt64
    ) throws(PartitionTableError) {
        guard bytes <= UInt64(Int64.max) else { throw .tooLarge(sectors: bytes / 512) }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        defer { try? fd.close() }
        let size = try PartitionTableReader.size(of: fd, name: path)
        guard size < bytes else { return }
        do {
            try fd.resize(to: Int64(bytes))
        } catch {
            throw .io(path: path, operation: "extending to \(bytes) bytes", reason: "\(error)")
        }
    }
}
