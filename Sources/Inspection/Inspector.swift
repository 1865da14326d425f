import BlockProbe
import ExtFS
import HostSystem

/// Why a source could not be inspected; each message says what to do.
public enum InspectionError: Error, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case filesystem(ExtFSError)
    case notLinux(path: String, found: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            return "cannot read \(path): \(reason). Check the path and that you may read it (block devices need root)."
        case .filesystem(let error):
            return error.description
        case .notLinux(let path, let found) where found == "xfs":
            return "\(path) holds a bare XFS filesystem, which inspect cannot read (it reads ext2/3/4). `xen2kvm "
                + "convert` copies it whole into partition 1 of a new disk (--method wrap) and inspects and fixes the "
                + "guest there."
        case .notLinux(let path, let found) where found.hasPrefix("swap"):
            return "\(path) holds \(found): a swap volume, no guest to inspect. `xen2kvm convert` makes a KVM swap "
                + "disk from it (partition 1, a new swap area with the same UUID and label)."
        case .notLinux(let path, let found):
            return "\(path) holds \(found), not an ext2/ext3/ext4 filesystem: there is no Linux guest to inspect. "
                + "`convert --method clone` copies such a disk as it is."
        }
    }
}

/// Reads a source disk without mounting or writing it and reports what conversion needs to know.
public enum Inspector {
    /// `readInitrds: false` skips looking inside initrds (memory and time on big ones).
    public static func inspect(_ path: String, readInitrds: Bool = true) throws(InspectionError) -> InspectionReport {
        try inspect(path, readInitrds: readInitrds, checkInUse: true)
    }

    /// The report and the filesystem it read the guest from (the whole source, or the Linux
    /// partition at its offset; nil when there is none), for what else reads that same guest
    /// (`inspect --edits` plans the guest edits from it).
    public static func inspectKeepingFilesystem(
        _ path: String
    ) throws(InspectionError) -> (report: InspectionReport, filesystem: ExtFilesystem?) {
        try inspectKeepingFilesystem(path, readInitrds: true, checkInUse: true)
    }

    /// `checkInUse: false` leaves out asking the host whether the disk is in use (mounts, loop
    /// devices, locks): the fuzz harness, which inspects a scratch file thousands of times.
    static func inspect(
        _ path: String, readInitrds: Bool, checkInUse: Bool
    ) throws(InspectionError) -> InspectionReport {
        try inspectKeepingFilesystem(path, readInitrds: readInitrds, checkInUse: checkInUse).report
    }

    static func inspectKeepingFilesystem(
        _ path: String, readInitrds: Bool, checkInUse: Bool
    ) throws(InspectionError) -> (report: InspectionReport, filesystem: ExtFilesystem?) {
        let probe: ProbeResult
        do {
            probe = try BlockProbe.probe(path)
        } catch {
            throw .cannotRead(path: path, reason: Self.reason(error))
        }
        guard probe.sizeBytes > 0 else { throw .filesystem(.empty(path: path)) }

        var source = SourceReport(
            path: path, kind: probe.kind, sizeBytes: probe.sizeBytes, type: probe.type, uuid: probe.uuid,
            label: probe.label, partitionTable: probe.partitionTable, partitions: [])
        var findings: [Finding] = []
        var offset: UInt64 = 0
        var length: UInt64?
        // Inspection reads safely either way, but what it reads of a live disk is a moment of
        // a changing filesystem, and convert will refuse it.
        if checkInUse, let use = DiskInUse.reason(path, readOnlyMountsCount: false) {
            findings.append(
                Finding(
                    .blocker, .sourceInUse,
                    "\(path) is \(use): shut the guest down first (convert refuses a disk in use; a copy of a "
                        + "live filesystem is not consistent)"))
        }

        if probe.partitionTable != nil {
            source.partitions = SourcePartitions.read(path)
            findings.append(
                Finding(
                    .info, .alreadyPartitioned,
                    "\(path) already has a \(probe.partitionTable!) partition table: convert clones the disk as it is"))
            guard let linux = SourcePartitions.firstLinux(source.partitions, path: path) else {
                let report = InspectionReport(
                    source: source, filesystem: nil, guest: nil, findings: findings,
                    readiness: Readiness.from(findings))
                return (report, nil)
            }
            offset = linux.offsetBytes
            length = linux.sizeBytes
        } else if let type = probe.type, !type.hasPrefix("ext") {
            throw .notLinux(path: path, found: type == "ambivalent" ? "several conflicting signatures" : type)
        }

        let fs: ExtFilesystem
        do {
            fs = try ExtFilesystem(path: path, offset: offset, length: length)
        } catch {
            throw .filesystem(error)
        }
        let filesystem = try Self.filesystemReport(fs)
        if filesystem.state == .needsFsck {
            findings.append(
                Finding(
                    .warning, .filesystemNotClean,
                    "the filesystem is not clean (\(filesystem.stateReasons.joined(separator: ", "))): convert "
                        + "refuses it unless --repair-copy, which copies every block and repairs the copy, never "
                        + "the source"))
        }
        let guest = GuestInspector.inspect(fs, readInitrds: readInitrds)
        var report = InspectionReport(
            source: source, filesystem: filesystem, guest: guest, findings: [], readiness: .ready)
        findings += GuestChecks.findings(for: guest, placement: GuestPlacement(convertDefaultsFor: report))
        // A separate /boot partition (kernels at its top, no /etc): the root lies elsewhere.
        if let partition = source.partitions.first(where: { $0.offsetBytes == offset }), offset > 0,
            guest.distro == "unknown", guest.kernels.isEmpty,
            (try? fs.listDirectory("/"))?.contains(where: { $0.name.hasPrefix("vmlinuz-") }) == true
        {
            findings.append(
                Finding(
                    .blocker, .bootPartitionOnly,
                    "partition \(partition.number) holds /boot (kernels at its top, no /etc): the root filesystem "
                        + "is in another partition or volume, and convert fixes a guest whose root is partition 1 so "
                        + "far"))
        }
        if let start = source.partitions.first?.startSector, start < 2048, guest.bootloader == .grub2 {
            findings.append(
                Finding(
                    .blocker, .grub2DosCompatLayout,
                    "partition 1 starts at sector \(start): grub2's core.img does not fit before it. "
                        + "Repartition with partition 1 at sector 2048, or boot with grub legacy"))
        }
        findings.sort { $0.severity < $1.severity }
        report.findings = findings
        report.readiness = Readiness.from(findings)
        return (report, fs)
    }

    static func filesystemReport(_ fs: ExtFilesystem) throws(InspectionError) -> FilesystemReport {
        let facts = fs.facts()
        let minimum: UInt64
        do {
            minimum = try fs.minimumSizeBytes()
        } catch {
            throw .filesystem(error)
        }
        return FilesystemReport(
            type: facts.type, uuid: facts.uuid, label: facts.label, offsetBytes: fs.offset,
            blockSize: facts.blockSize, blockCount: facts.blockCount, sizeBytes: facts.sizeBytes,
            usedBytes: facts.usedBytes, freeBytes: facts.freeBytes, minimumBytes: minimum,
            inodeCount: facts.inodeCount, freeInodes: facts.freeInodes, inodeSize: facts.inodeSize,
            features: facts.features, state: facts.state, stateReasons: facts.stateReasons,
            hasJournal: facts.hasJournal, lastMountPoint: facts.lastMountPoint)
    }

    private static func reason(_ error: BlockProbeError) -> String {
        switch error {
        case .cannotOpen(_, let reason), .probeFailed(_, let reason): return reason
        }
    }
}

/// Gathers the guest facts from its files.
public enum GuestInspector {
    public static func inspect(_ guest: some GuestFileSource, readInitrds: Bool = true) -> GuestReport {
        let distro = DistroDetector.detect(guest)
        let boot = BootloaderScanner.scan(guest)
        return GuestReport(
            distro: distro.id, version: distro.version, prettyName: distro.prettyName, bootloader: boot.kind,
            bootloaderConfigs: boot.configFiles, defaultKernel: boot.defaultKernel,
            partitionlessRoot: boot.partitionlessRoot, kernels: KernelScanner.scan(guest, readInitrds: readInitrds),
            fstab: FstabReader.read(guest), commandLines: boot.commandLines, config: GuestConfigScanner.scan(guest))
    }
}
