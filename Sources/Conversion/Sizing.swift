import HostSystem
import PartitionTable
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Per-method geometry: the layout, the target size, what is copied, scratch space, and the
/// size checks that go with them.
struct Sizing {
    var layout: DiskLayout?
    var targetBytes: UInt64
    var bytesToCopy: UInt64
    var temporaryBytes: UInt64 = 0
    var temporaryDirectory: String?
    var resizeToBytes: UInt64?
    var checks: [ConversionPlan.Check] = []
    var notes: [String] = []

    /// What the blocks and resize methods read from the source: its used blocks, or with
    /// --repair-copy every block of its filesystem.
    static func copiedBytes(_ options: ConvertOptions, _ source: SourceFacts) -> UInt64 {
        options.repairCopy ? source.filesystemDataBytes : source.readBytes ?? 0
    }

    /// The partition covers the filesystem exactly; the target is at least that big.
    static func blocks(
        _ options: ConvertOptions, source: SourceFacts, target: TargetFacts, needed: UInt64
    ) throws(ConversionError) -> Sizing {
        let fsBytes = source.filesystemBytes!
        let size = target.fixedBytes ?? max(options.targetSize ?? needed, needed)
        var check = ConversionPlan.Check(name: "target size", passed: true, detail: "\(size) bytes ≥ \(needed) needed")
        // XFS cannot shrink: only a bigger target helps.
        let shrinkHint =
            source.filesystemType == "xfs" ? "XFS cannot shrink: use a target" : "use --method resize to shrink a copy"
        if let fixed = target.fixedBytes, fixed < needed {
            check = .init(
                name: "target size", passed: false,
                detail: "\(options.target) holds \(fixed) bytes; the filesystem (\(fsBytes) bytes) at sector "
                    + "\(options.start) with a \(options.table) table needs \(needed): \(shrinkHint) to fit, or a "
                    + "bigger target")
        } else if let wanted = options.targetSize, target.fixedBytes == nil, wanted < needed {
            check = .init(
                name: "target size", passed: false,
                detail: "--target-size \(wanted) is smaller than the \(needed) bytes the filesystem needs as it is: "
                    + shrinkHint)
        }
        let layout = try makeLayout(options, partitionBytes: fsBytes, diskBytes: max(size, needed))
        // A new file gets whole sectors (an odd --target-size is rounded down), so a GPT
        // backup header lands in its last sector.
        let targetBytes = target.fixedBytes ?? layout.diskBytes
        return Sizing(
            layout: layout, targetBytes: max(targetBytes, needed), bytesToCopy: copiedBytes(options, source),
            checks: [check])
    }

    /// The filesystem shrinks to the partition a fixed-size target leaves; the copy is made
    /// in a scratch file first, so the source is never resized.
    static func resize(
        _ options: ConvertOptions, source: SourceFacts, target: TargetFacts, needed: UInt64
    ) throws(ConversionError) -> Sizing {
        let fsBytes = source.filesystemBytes!
        let blockSize = source.blockSize ?? 4096
        guard let room = target.fixedBytes ?? options.targetSize else {
            throw .refused(
                "--method resize needs a target of fixed size: a block device, an existing image, or --target-size")
        }
        let fitted: DiskLayout
        do {
            fitted = try DiskLayout.forDisk(bytes: room, table: options.table, start: options.start)
        } catch {
            throw .refused(error.description)
        }
        // Whole blocks only, and never bigger than the filesystem is now (this is a shrink).
        let newBytes = min(fitted.partitionBytes / blockSize * blockSize, fsBytes)
        let minimum = source.minimumBytes ?? 0
        var checks: [ConversionPlan.Check] = []
        if newBytes < minimum {
            checks.append(
                .init(
                    name: "filesystem can shrink", passed: false,
                    detail: "the filesystem must shrink to \(newBytes) bytes to fit \(options.target), but resize2fs "
                        + "can shrink it to \(minimum) at best (it holds \(source.usedBytes ?? 0) bytes of data): use "
                        + "a target of at least \(minimum + (needed - fsBytes)) bytes"))
        } else {
            checks.append(
                .init(
                    name: "filesystem can shrink", passed: true,
                    detail: "\(fsBytes) → \(newBytes) bytes (the minimum is \(minimum))"))
        }
        let directory = options.temporaryDirectory ?? defaultScratchDirectory(for: options.target, target: target)
        // With --repair-copy the scratch copy holds every block, not just the used ones.
        let scratch = options.repairCopy ? source.filesystemDataBytes : source.usedBytes ?? fsBytes
        let free = freeBytes(directory)
        checks.append(
            .init(
                name: "scratch space", passed: free.map { $0 >= scratch + (64 << 20) } ?? false,
                detail: free.map {
                    $0 >= scratch + (64 << 20)
                        ? "\(directory) has \($0) bytes free for the \(scratch)-byte shrunken copy"
                        : "\(directory) has \($0) bytes free; the shrunken copy needs \(scratch) + 64 MiB: free space "
                            + "or pick another directory with --temp-dir"
                } ?? "cannot read the free space of \(directory): give an existing directory with --temp-dir"))
        let layout = try makeLayout(options, partitionBytes: newBytes, diskBytes: room)
        return Sizing(
            layout: layout, targetBytes: target.fixedBytes ?? layout.diskBytes,
            bytesToCopy: copiedBytes(options, source),
            temporaryBytes: scratch,
            temporaryDirectory: directory, resizeToBytes: newBytes, checks: checks,
            notes: ["the filesystem is shrunk from \(fsBytes) to \(newBytes) bytes in a copy in \(directory)"])
    }

    /// A new filesystem fills the partition: as big as the source's on a new file (or
    /// --target-size), the whole of a fixed target otherwise; it must hold the data.
    static func rsync(_ options: ConvertOptions, source: SourceFacts, target: TargetFacts) throws(ConversionError)
        -> Sizing
    {
        let fsBytes = source.filesystemBytes!
        let layout: DiskLayout
        do {
            if let room = target.fixedBytes ?? options.targetSize {
                layout = try DiskLayout.forDisk(bytes: room, table: options.table, start: options.start)
            } else {
                layout = try DiskLayout.forFilesystem(bytes: fsBytes, table: options.table, start: options.start)
            }
        } catch {
            throw .refused(error.description)
        }
        let minimum = source.minimumBytes ?? 0
        var checks: [ConversionPlan.Check] = [
            layout.partitionBytes >= minimum
                ? .init(
                    name: "target size", passed: true,
                    detail: "partition of \(layout.partitionBytes) bytes holds the data (needs about \(minimum))")
                : .init(
                    name: "target size", passed: false,
                    detail: "a partition of \(layout.partitionBytes) bytes cannot hold the source's files (about "
                        + "\(minimum) bytes with filesystem overhead): use a bigger target")
        ]
        let missing = ["rsync", "mount", "losetup"].filter { !toolExists($0) }
        checks.append(
            .init(
                name: "rsync method prerequisites", passed: geteuid() == 0 && missing.isEmpty,
                detail: geteuid() != 0
                    ? "the rsync method mounts both filesystems: run as root"
                    : missing.isEmpty ? "root, rsync and mount present" : "install \(missing.joined(separator: ", "))"))
        return Sizing(
            layout: layout, targetBytes: layout.diskBytes, bytesToCopy: source.usedBytes ?? 0, checks: checks,
            notes: ["files are copied with rsync -aHAXS --numeric-ids into a new filesystem with the source's UUID"])
    }

    static func toolExists(_ name: String) -> Bool {
        ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].contains { access("\($0)/\(name)", X_OK) == 0 }
    }

    static func clone(
        _ options: ConvertOptions, source: SourceFacts, sourceID: DiskIdentity, target: TargetFacts
    ) -> Sizing {
        let needed = sourceID.sizeBytes
        // A new file gets whole sectors from --target-size, never less than the source.
        let size = target.fixedBytes ?? max((options.targetSize ?? needed) / 512 * 512, needed)
        let check: ConversionPlan.Check =
            size < needed
            ? .init(
                name: "target size", passed: false,
                detail: "\(options.target) holds \(size) bytes; a clone of \(options.source) needs \(needed)")
            : .init(name: "target size", passed: true, detail: "\(size) bytes ≥ \(needed) needed")
        var notes: [String] = []
        if source.partitionTable == "gpt" && size > needed {
            notes.append("the target is larger than the source: move the backup GPT header to its end with `sgdisk -e`")
        }
        return Sizing(layout: nil, targetBytes: size, bytesToCopy: source.dataBytes, checks: [check], notes: notes)
    }

    static func makeLayout(_ options: ConvertOptions, partitionBytes: UInt64, diskBytes: UInt64)
        throws(ConversionError) -> DiskLayout
    {
        do {
            return try DiskLayout(
                table: options.table, partitionStart: options.start, partitionSectors: (partitionBytes + 511) / 512,
                diskSectors: diskBytes / 512)
        } catch {
            throw .refused(error.description)
        }
    }

    static func defaultScratchDirectory(for targetPath: String, target: TargetFacts) -> String {
        if target.kindName != "block device" {
            let parent = FilePath(targetPath).removingLastComponent().string
            return parent.isEmpty ? "." : parent
        }
        return getenv("TMPDIR").map { String(cString: $0) } ?? "/var/tmp"
    }

    static func freeBytes(_ directory: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}

extension Sizing {
    /// A swap area takes the whole partition: on a fixed-size target the partition fills the
    /// disk (a swap smaller than the source's still works, and is said); a new file gets the
    /// source's size, or --target-size.
    static func swap(_ options: ConvertOptions, sourceBytes: UInt64, target: TargetFacts) throws(ConversionError)
        -> Sizing
    {
        let areaBytes = sourceBytes / 4096 * 4096
        let needed: UInt64
        do {
            needed = try DiskLayout.requiredDiskBytes(
                filesystemBytes: areaBytes, table: options.table, start: options.start)
        } catch {
            throw .refused(error.description)
        }
        let size = target.fixedBytes ?? (options.targetSize ?? needed) / 512 * 512
        var layout: DiskLayout
        do {
            layout = try DiskLayout.forDisk(bytes: size, table: options.table, start: options.start)
        } catch {
            throw .refused("\(options.target) is too small for a swap partition: \(error.description)")
        }
        layout.content = .linuxSwap
        let smallest: UInt64 = 1 << 20
        let check: ConversionPlan.Check =
            layout.partitionBytes < smallest
            ? .init(
                name: "target size", passed: false,
                detail:
                    "a swap partition of \(layout.partitionBytes) bytes is too small to be useful: use a bigger target")
            : .init(
                name: "target size", passed: true, detail: "\(size) bytes: a \(layout.partitionBytes)-byte swap area")
        var notes: [String] = []
        if layout.partitionBytes < areaBytes {
            notes.append(
                "the new swap area (\(layout.partitionBytes) bytes) is smaller than the source's (\(areaBytes))")
        }
        return Sizing(layout: layout, targetBytes: size, bytesToCopy: 0, checks: [check], notes: notes)
    }
}
