import BlockProbe
import ExtFS
import HostSystem
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
        return try plan(options, source: source, sourceID: sourceID, sourceUse: .here)
    }

    /// The plan for a source described on the host it lies on (the x2k sender): the target is
    /// read here, the source's facts and its use come from there.
    public static func plan(_ options: ConvertOptions, described: DescribedSource) throws(ConversionError)
        -> ConversionPlan
    {
        // No local identity: a path on another host is never this host's target.
        var sourceID = DiskIdentity.of("")
        sourceID.path = options.source
        sourceID.kind = described.kind
        (sourceID.device, sourceID.inode, sourceID.rdev) = (.max, .max, .max)
        sourceID.sizeBytes = described.sizeBytes
        return try plan(options, source: described.facts, sourceID: sourceID, sourceUse: .found(described.inUse))
    }

    static func plan(
        _ options: ConvertOptions, source: SourceFacts, sourceID: DiskIdentity, sourceUse: SafetyChecks.SourceUse
    ) throws(ConversionError) -> ConversionPlan {
        let targetID = DiskIdentity.of(options.target)
        let target = try TargetFacts.read(options.target, identity: targetID)
        TraceTiming.mark("plan: target probed")

        let needed = try neededBytes(options, source: source)
        let room = target.fixedBytes ?? options.targetSize
        let (method, reason) = try chooseMethod(options, source: source, fits: room.map { $0 >= (needed ?? 0) } ?? true)
        var sizing: Sizing
        switch method {
        case .blocks, .wrap: sizing = try Sizing.blocks(options, source: source, target: target, needed: needed!)
        case .resize: sizing = try Sizing.resize(options, source: source, target: target, needed: needed!)
        case .rsync: sizing = try Sizing.rsync(options, source: source, target: target)
        case .clone: sizing = Sizing.clone(options, source: source, sourceID: sourceID, target: target)
        case .swap: sizing = try Sizing.swap(options, sourceBytes: sourceID.sizeBytes, target: target)
        case .auto: fatalError("chooseMethod never returns auto")
        }

        sizing.checks += SafetyChecks.run(
            options, source: source, sourceID: sourceID, target: target, targetID: targetID, sourceUse: sourceUse)
        TraceTiming.mark("plan: sizing and safety checks")
        if method != .clone, options.start < 2048, source.bootloader == "grub2" {
            sizing.checks.append(
                .init(
                    name: "bootloader fits", passed: false,
                    detail:
                        "the guest boots with grub2, whose core.img (~27 KiB) does not fit in the 31 sectors before "
                        + "sector 32: drop --dos-compat (the default start 2048 leaves room)"))
        }
        let repair = options.repairCopy && (method == .blocks || method == .resize)
        if options.repairCopy && !repair {
            sizing.checks.append(
                .init(
                    name: "repair applies", passed: false,
                    detail: "--repair-copy copies every block of a bare ext filesystem and repairs the copy: it works "
                        + "with --method blocks or resize (auto picks them), not with \(method.rawValue)"))
        }
        var notes: [String] = []
        if repair {
            notes.append(
                "--repair-copy: every block of the filesystem is copied and e2fsck -fy repairs the copy (never the "
                    + "source)")
        }
        notes += sizing.notes

        return ConversionPlan(
            source: .init(
                path: options.source, kind: sourceID.kind, sizeBytes: sourceID.sizeBytes, holds: source.holds,
                uuid: source.uuid, label: source.label, filesystemType: source.filesystemType,
                filesystemBytes: source.filesystemBytes,
                usedBytes: source.usedBytes, clean: source.clean, distro: source.distro, distroID: source.distroID,
                distroVersion: source.distroVersion,
                bootloader: source.bootloader, onlyXenKernels: source.onlyXenKernels,
                guestPartition: source.guestPartition),
            target: .init(
                path: options.target, kind: target.kindName, existingBytes: target.existingBytes, holds: target.holds,
                sizeBytes: sizing.targetBytes, created: target.willCreate),
            method: method, methodReason: reason, layout: sizing.layout,
            identity: sizing.layout.map { _ in TableIdentity() }, bytesToCopy: sizing.bytesToCopy,
            temporaryBytes: sizing.temporaryBytes, temporaryDirectory: sizing.temporaryDirectory,
            resizeToBytes: sizing.resizeToBytes, repairCopy: repair, checks: sizing.checks, notes: notes)
    }

    /// The disk a bare ext filesystem needs as it is (nil for sources that are cloned).
    static func neededBytes(_ options: ConvertOptions, source: SourceFacts) throws(ConversionError) -> UInt64? {
        guard let fsBytes = source.filesystemBytes else { return nil }
        do {
            return try DiskLayout.requiredDiskBytes(
                filesystemBytes: fsBytes, table: options.table, start: options.start)
        } catch {
            throw .refused(error.description)
        }
    }

    /// A GPT Xen disk without a BIOS boot partition: the fixes' grub2-install would have nowhere
    /// to put core.img. The gap before partition 1 (34 to 2047 at the usual 1 MiB start) holds
    /// one without moving a partition, and sgdisk's next free number keeps the others' numbers.
    static func noBIOSBootPartition(_ source: String, start: UInt64?) -> String {
        let reason =
            "\(source) is partitioned (gpt) with the Linux guest in partition 1 and no BIOS boot partition: grub2 "
            + "boots a GPT disk under BIOS (as KVM does) only from one, so the fixes could not install it. "
        guard let start, start > 34 + 64 else {
            return reason
                + "Partition 1 leaves no room before it for one: copy the guest's filesystem into a new disk instead "
                + "(e.g. `dd` partition 1 out into a file, then `xen2kvm convert` that file)"
        }
        return reason
            + "Copy it with `xen2kvm convert --method clone --no-fix SOURCE TARGET`, add one in the gap before partition "
            + "1 with `sgdisk -a 1 -n 0:34:\(start - 1) -t 0:ef02 TARGET`, then run `xen2kvm fix TARGET`"
    }

    static func chooseMethod(_ options: ConvertOptions, source: SourceFacts, fits: Bool) throws(ConversionError) -> (
        CopyMethod, String
    ) {
        let bareExt = source.filesystemType?.hasPrefix("ext") == true && source.partitionTable == nil
        let bareXFS = source.filesystemType == "xfs" && source.partitionTable == nil
        let bareSwap = source.type == "swap" && source.partitionTable == nil
        switch options.method {
        case .swap:
            guard bareSwap else {
                throw .refused(
                    "--method swap needs a Linux swap area; \(options.source) holds \(source.holds): use --method auto")
            }
            return (.swap, "asked for (--method swap)")
        case .clone:
            return (.clone, "asked for (--method clone): the disk is copied as it is")
        case .wrap:
            guard bareXFS else {
                throw .refused(
                    "--method wrap puts a bare XFS filesystem into partition 1; \(options.source) holds "
                        + "\(source.holds): use --method auto")
            }
            return (.wrap, "asked for (--method wrap)")
        case .blocks, .resize, .rsync:
            guard bareExt else {
                throw .refused(
                    "--method \(options.method.rawValue) needs a bare ext2/3/4 filesystem; \(options.source) holds "
                        + "\(source.holds): use --method clone to copy it as it is")
            }
            return (options.method, "asked for (--method \(options.method.rawValue))")
        case .auto:
            if bareExt {
                return fits
                    ? (.blocks, "a bare ext filesystem: only its used blocks are copied into partition 1")
                    : (.resize, "the target is smaller than the filesystem plus the partition start: a copy is shrunk")
            }
            if bareXFS {
                return (
                    .wrap,
                    "a bare XFS filesystem: copied whole into partition 1 (xen2kvm reads no XFS bitmaps, and XFS "
                        + "cannot shrink)"
                )
            }
            if bareSwap {
                return (
                    .swap,
                    "a Linux swap area: partition 1 gets a new one with the same UUID and label (a powered-off guest "
                        + "keeps nothing in swap)"
                )
            }
            if let table = source.partitionTable {
                switch source.guestPartition {
                case 1 where table == "gpt" && !source.hasBIOSBootPartition:
                    throw .refused(Self.noBIOSBootPartition(options.source, start: source.firstPartitionStart))
                case 1:
                    return (
                        .clone,
                        "already partitioned (\(table)), the Linux guest in partition 1: the disk is copied as it is "
                            + "and the guest fixed on it (its bootloader installed)"
                    )
                case nil where source.bootOnlyPartition != nil && !source.hasBootCode:
                    throw .refused(
                        "\(options.source) is partitioned (\(table)) and partition \(source.bootOnlyPartition!) holds "
                            + "only /boot, with no boot code: the guest's root is elsewhere (another partition, LVM), "
                            + "and xen2kvm fixes a guest whose root is partition 1 so far; a copy as it is cannot "
                            + "boot. Copy it with --method clone and install its bootloader by hand")
                case let number? where !source.hasBootCode:
                    // Without boot code and with the guest elsewhere, the copy could never boot.
                    throw .refused(
                        "\(options.source) is partitioned (\(table)) with the Linux guest in partition \(number) and no "
                            + "boot code: xen2kvm fixes a guest whose root is partition 1 so far, and a copy as it is "
                            + "cannot boot. Copy it with --method clone and install its bootloader by hand")
                default:
                    return (.clone, "already partitioned (\(table)): the disk is copied as it is")
                }
            }
            if let type = source.type {
                // A bare XFS or btrfs root (CentOS 7, SUSE), an LVM PV or LUKS volume as the whole
                // disk: copied as it is, it has no partition table and no boot code. Never exit 0
                // with a disk that cannot boot; a data disk may be cloned on request.
                throw .refused(
                    "\(options.source) holds a bare \(type) (no partition table, no boot code): copied as it is "
                        + "it cannot boot under KVM, and xen2kvm makes a bootable disk only from a bare ext2/3/4 or "
                        + "XFS filesystem so far. If it is a data disk the guest mounts (a second Xen disk such as "
                        + "/dev/xvdb), copy it as it is with --method clone and attach it as a second disk; a root "
                        + "filesystem must be moved to ext4 first")
            }
            throw .refused(
                "libblkid recognises nothing on \(options.source) (no filesystem, no partition table). If it is a "
                    + "disk of another system, copy it as it is with --method clone")
        }
    }
}

/// Where xen2kvm reads source images with libext2fs, libblkid and its own readers: the plan
/// (the source's filesystem, partitions and guest files), the used-block runs a block copy
/// reads, the facts the rsync method makes a filesystem from, and migrate's probe of each Xen
/// disk. In this process for the library and its tests; the CLI reads them in a contained
/// child (ParserChild), where a hostile image that crashes or hangs a parser is a damaged
/// image.
public struct ImageParser: Sendable {
    public var plan: @Sendable (ConvertOptions) async -> Result<ConversionPlan, ConversionError>
    public var copyRuns: @Sendable (_ path: String) async -> Result<CopyRuns, ConversionError>
    public var facts: @Sendable (_ path: String) async -> Result<FilesystemFacts, ConversionError>
    /// nil when `path` cannot be probed (missing, no permission).
    public var probe: @Sendable (_ path: String) async -> ProbeResult?

    public init(
        plan: @escaping @Sendable (ConvertOptions) async -> Result<ConversionPlan, ConversionError>,
        copyRuns: @escaping @Sendable (String) async -> Result<CopyRuns, ConversionError>,
        facts: @escaping @Sendable (String) async -> Result<FilesystemFacts, ConversionError>,
        probe: @escaping @Sendable (String) async -> ProbeResult?
    ) {
        self.plan = plan
        self.copyRuns = copyRuns
        self.facts = facts
        self.probe = probe
    }

    public static let inProcess = ImageParser(
        plan: { options in Result { () throws(ConversionError) in try Planner.plan(options) } },
        copyRuns: { path in Result { () throws(ConversionError) in try readCopyRuns(path) } },
        facts: { path in Result { () throws(ConversionError) in try readFacts(path) } },
        probe: { path in try? BlockProbe.probe(path) })

    /// `copyRuns` here; a failure says what to do.
    public static func readCopyRuns(_ path: String) throws(ConversionError) -> CopyRuns {
        do {
            return try ExtFilesystem(path: path).copyRuns()
        } catch {
            throw .failed(copyRunsFailure(path, error.description))
        }
    }

    public static func copyRunsFailure(_ path: String, _ detail: String) -> String {
        "reading the block bitmaps of \(path): \(detail) To copy it anyway, convert with --repair-copy: every "
            + "block is copied and the copy repaired with e2fsck -fy"
    }

    /// `facts` here.
    public static func readFacts(_ path: String) throws(ConversionError) -> FilesystemFacts {
        do {
            return try ExtFilesystem(path: path).facts()
        } catch {
            throw .failed("reading the source filesystem: \(error.description)")
        }
    }
}
