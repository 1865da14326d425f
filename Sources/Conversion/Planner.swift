import BlockProbe
import ExtFS
import Inspection
import PartitionTable

/// Decides method, layout and safety checks from the source, the target and the options.
/// Reads only; never writes.
public enum Planner {
    public static func plan(_ options: ConvertOptions) throws(ConversionError) -> ConversionPlan {
        let sourceID = DiskIdentity.of(options.source)
        guard sourceID.kind == .file || sourceID.kind == .blockDevice else {
            throw .refused(
                sourceID.kind == .missing
                    ? "the source \(options.source) does not exist: name an image file or a block device"
                    : "the source \(options.source) is neither an image file nor a block device")
        }
        let source = try SourceFacts.read(options.source, identity: sourceID)
        let targetID = DiskIdentity.of(options.target)
        var checks: [ConversionPlan.Check] = []
        var notes: [String] = [
            "guest fixes are not part of this version: the guest is copied unchanged (as with --no-fix)"
        ]

        // Method.
        let (method, reason) = try chooseMethod(options, source: source)

        // Target kind and size.
        let target = try TargetFacts.read(options.target, identity: targetID)
        let layout: DiskLayout?
        let targetBytes: UInt64
        let bytesToCopy: UInt64
        switch method {
        case .blocks:
            let fsBytes = source.filesystemBytes!
            let needed: UInt64
            do {
                needed = try DiskLayout.requiredDiskBytes(
                    filesystemBytes: fsBytes, table: options.table, start: options.start)
            } catch {
                throw .refused(error.description)
            }
            let size = target.fixedBytes ?? max(options.targetSize ?? needed, needed)
            if let fixed = target.fixedBytes, fixed < needed {
                checks.append(
                    .init(
                        name: "target size", passed: false,
                        detail: "\(options.target) holds \(fixed) bytes; the filesystem (\(fsBytes) bytes) at sector "
                            + "\(options.start) with a \(options.table) table needs \(needed). Use a target of at least "
                            + "\(needed) bytes (the resize method, which shrinks a copy, comes in a later version)"))
            } else if let wanted = options.targetSize, target.fixedBytes == nil, wanted < needed {
                checks.append(
                    .init(
                        name: "target size", passed: false,
                        detail: "--target-size \(wanted) is smaller than the \(needed) bytes the filesystem needs"))
            } else {
                checks.append(.init(name: "target size", passed: true, detail: "\(size) bytes ≥ \(needed) needed"))
            }
            do {
                layout = try DiskLayout(
                    table: options.table, partitionStart: options.start,
                    partitionSectors: (fsBytes + 511) / 512, diskSectors: max(size, needed) / 512)
            } catch {
                throw .refused(error.description)
            }
            targetBytes = max(size, needed)
            bytesToCopy = source.usedBytes ?? 0
        case .clone:
            layout = nil
            let needed = sourceID.sizeBytes
            targetBytes = target.fixedBytes ?? max(options.targetSize ?? needed, needed)
            if targetBytes < needed {
                checks.append(
                    .init(
                        name: "target size", passed: false,
                        detail: "\(options.target) holds \(targetBytes) bytes; a clone of \(options.source) needs "
                            + "\(needed)"))
            } else {
                checks.append(
                    .init(name: "target size", passed: true, detail: "\(targetBytes) bytes ≥ \(needed) needed"))
            }
            bytesToCopy = source.dataBytes
            if source.partitionTable == "gpt" && targetBytes > needed {
                notes.append(
                    "the target is larger than the source: move the backup GPT header to its end with `sgdisk -e`")
            }
        case .auto:
            fatalError("chooseMethod never returns auto")
        }

        checks += SafetyChecks.run(options, source: source, sourceID: sourceID, target: target, targetID: targetID)
        if method == .blocks, options.start < 2048, source.bootloader == "grub2" {
            checks.append(
                .init(
                    name: "bootloader fits", passed: false,
                    detail:
                        "the guest boots with grub2, whose core.img (~27 KiB) does not fit in the 31 sectors before "
                        + "sector 32: drop --dos-compat (the default start 2048 leaves room)"))
        }
        let repair = source.clean == false && options.force
        if repair { notes.append("the source filesystem is not clean: e2fsck -fy repairs the copy (never the source)") }

        return ConversionPlan(
            source: .init(
                path: options.source, kind: sourceID.kind, sizeBytes: sourceID.sizeBytes, holds: source.holds,
                filesystemType: source.filesystemType, filesystemBytes: source.filesystemBytes,
                usedBytes: source.usedBytes, clean: source.clean, distro: source.distro,
                bootloader: source.bootloader),
            target: .init(
                path: options.target, kind: target.kindName, existingBytes: target.existingBytes, holds: target.holds,
                sizeBytes: targetBytes, created: target.willCreate),
            method: method, methodReason: reason, layout: layout, identity: layout.map { _ in TableIdentity() },
            bytesToCopy: bytesToCopy, temporaryBytes: 0, repairCopy: repair, checks: checks, notes: notes)
    }

    static func chooseMethod(_ options: ConvertOptions, source: SourceFacts) throws(ConversionError) -> (
        CopyMethod, String
    ) {
        let bareExt = source.filesystemBytes != nil && source.partitionTable == nil
        switch options.method {
        case .clone:
            return (.clone, "asked for (--method clone): the disk is copied as it is")
        case .blocks:
            guard bareExt else {
                throw .refused(
                    "--method blocks needs a bare ext2/3/4 filesystem; \(options.source) holds \(source.holds): "
                        + "use --method clone to copy it as it is")
            }
            return (.blocks, "asked for (--method blocks)")
        case .auto:
            if bareExt {
                return (.blocks, "a bare ext filesystem: only its used blocks are copied into partition 1")
            }
            if source.partitionTable != nil {
                return (.clone, "already partitioned (\(source.partitionTable!)): the disk is copied as it is")
            }
            if let type = source.type {
                return (.clone, "holds \(type), not a Linux ext filesystem: the disk is copied as it is")
            }
            throw .refused(
                "libblkid recognises nothing on \(options.source) (no filesystem, no partition table). If it is a "
                    + "disk of another system, copy it as it is with --method clone")
        }
    }
}
