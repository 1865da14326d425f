import BlockProbe
import ExtFS
import HostSystem
import Inspection
import SystemPackage

/// What the planner needs to know about the source.
struct SourceFacts: Codable, Sendable {
    var holds: String
    var type: String?
    var uuid: String?
    var label: String?
    var partitionTable: String?
    var filesystemType: String?
    var filesystemBytes: UInt64?
    var usedBytes: UInt64?
    /// What the blocks copy reads: the used bytes, less (on a clean filesystem) the unused
    /// inode tables and the journal's log, which it leaves out (Converter.copyUsedBlocks).
    var readBytes: UInt64?
    var blockSize: UInt64?
    /// What resize2fs -P estimates the filesystem can shrink to.
    var minimumBytes: UInt64?
    var clean: Bool?
    /// Why it is not clean, in words (the inspection's state reasons).
    var uncleanReasons: [String] = []
    var distro: String?
    /// The distribution's id and version apart ("centos", "6.10"), for choosing its profile.
    var distroID: String?
    var distroVersion: String?
    var bootloader: String?
    /// The kernel versions, when every one of them is Xen-only.
    var onlyXenKernels: [String]?
    /// Bytes a clone reads (the data regions of a sparse file, all of a device).
    var dataBytes: UInt64
    /// A partitioned source: the number of the partition that holds a Linux guest (its root
    /// filesystem: /etc and a kernel in /boot), nil when none does.
    var guestPartition: Int?
    /// A partitioned source: sector 0 carries boot code (the firmware would run something).
    var hasBootCode = false
    /// A partitioned source: the partition that holds only /boot (the root lies elsewhere).
    var bootOnlyPartition: Int?
    /// A partitioned source: it has a BIOS boot partition (matters on GPT), and where its first
    /// partition starts (the room before it).
    var hasBIOSBootPartition = false
    var firstPartitionStart: UInt64?
    /// Bytes a copy of every block of the filesystem reads (--repair-copy): the data regions
    /// within its first `filesystemBytes`.
    var filesystemDataBytes: UInt64 = 0

    static func read(_ path: String, identity: DiskIdentity) throws(ConversionError) -> SourceFacts {
        let probe: ProbeResult
        do {
            probe = try BlockProbe.probe(path)
        } catch {
            throw .refused("\(error.description). Check the path and your permissions")
        }
        guard probe.sizeBytes > 0 else { throw .refused("the source \(path) is empty: there is nothing to convert") }
        TraceTiming.mark("plan: source probed (libblkid)")
        var facts = SourceFacts(
            holds: probe.summary, type: probe.type, uuid: probe.uuid, label: probe.label,
            partitionTable: probe.partitionTable, dataBytes: identity.sizeBytes)
        var regions = [0..<identity.sizeBytes]
        if identity.kind == .file, let fd = try? FileDescriptor.open(FilePath(path), .readOnly) {
            regions = SparseRegions.dataRegions(of: fd, size: identity.sizeBytes)
            facts.dataBytes = regions.reduce(0) { $0 + UInt64($1.count) }
            try? fd.close()
            TraceTiming.mark("plan: source data regions")
        }
        if probe.partitionTable != nil {
            facts.readPartitionedGuest(path)
            return facts
        }
        if probe.type == "xfs", let bytes = XFSSuperblock.filesystemBytes(path) {
            facts.filesystemType = "xfs"
            facts.setFilesystemBytes(bytes, regions: regions)
            facts.readBytes = facts.filesystemDataBytes
            return facts
        }
        guard let type = probe.type, type.hasPrefix("ext") else { return facts }

        let report: InspectionReport
        do {
            report = try Inspector.inspect(path, readInitrds: false)
        } catch {
            throw .refused(error.description)
        }
        TraceTiming.mark("plan: source inspected (filesystem, minimum size, guest)")
        facts.filesystemType = report.filesystem?.type
        facts.setFilesystemBytes(report.filesystem?.sizeBytes ?? 0, regions: regions)
        facts.usedBytes = report.filesystem?.usedBytes
        facts.blockSize = report.filesystem.map { UInt64($0.blockSize) }
        facts.minimumBytes = report.filesystem?.minimumBytes
        facts.clean = report.filesystem?.state == .clean
        facts.uncleanReasons = report.filesystem?.stateReasons ?? []
        facts.readBytes = facts.usedBytes
        if facts.clean == true, let used = facts.usedBytes, let fs = try? ExtFilesystem(path: path) {
            let unneeded = fs.unneededBlockRuns().reduce(0) { $0 + UInt64($1.count) } * UInt64(fs.blockSize)
            facts.readBytes = used - min(used, unneeded)
        }
        facts.readGuest(report)
        return facts
    }

    /// The filesystem's size and the bytes of the source's data regions within it.
    private mutating func setFilesystemBytes(_ bytes: UInt64, regions: [Range<UInt64>]) {
        filesystemBytes = bytes
        filesystemDataBytes = regions.reduce(0) { total, region in
            total + (region.lowerBound < bytes ? min(region.upperBound, bytes) - region.lowerBound : 0)
        }
    }

    private mutating func readGuest(_ report: InspectionReport) {
        distro = report.guest.map { "\($0.distro) \($0.version)" }
        distroID = report.guest?.distro
        distroVersion = report.guest?.version
        bootloader = report.guest?.bootloader.rawValue
        onlyXenKernels = report.guest?.onlyXenKernels
    }

    /// A Xen disk with its own table (virt-install and many templates make them; pygrub read
    /// partition 1): which partition holds the guest, and whether the disk has boot code.
    private mutating func readPartitionedGuest(_ path: String) {
        if let fd = try? FileDescriptor.open(FilePath(path), .readOnly) {
            var sector = [UInt8](repeating: 0, count: 512)
            let read = (try? sector.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: 0, into: $0) }) ?? 0
            try? fd.close()
            hasBootCode =
                read == 512 && sector[510] == 0x55 && sector[511] == 0xAA && sector[0..<440].contains { $0 != 0 }
        }
        // The partition inspection read (the first Linux one), found once for both answers.
        guard let report = try? Inspector.inspect(path, readInitrds: false), let partition = report.inspectedPartition
        else { return }
        hasBIOSBootPartition = report.source.partitions.contains(where: \.isBIOSBoot)
        firstPartitionStart = report.source.partitions.map(\.startSector).min()
        if report.findings.contains(where: { $0.code == "boot-partition-only" }) {
            bootOnlyPartition = partition.number
        }
        guard let number = report.guestPartition else { return }
        guestPartition = number
        readGuest(report)
    }
}

/// What the planner needs to know about the target.
struct TargetFacts {
    var kindName: String
    var existingBytes: UInt64
    var holds: String
    var holdsData: Bool
    /// The size cannot change (block device, non-empty existing file).
    var fixedBytes: UInt64?
    var willCreate: Bool

    static func read(_ path: String, identity: DiskIdentity) throws(ConversionError) -> TargetFacts {
        switch identity.kind {
        case .missing:
            return TargetFacts(
                kindName: "new file", existingBytes: 0, holds: "nothing", holdsData: false, fixedBytes: nil,
                willCreate: true)
        case .other:
            throw .refused(
                "the target \(path) is neither a file nor a block device: name a new file, an image or a disk")
        case .file, .blockDevice:
            var holds = "nothing recognised"
            var holdsData = false
            if identity.sizeBytes > 0 {
                do {
                    let probe = try BlockProbe.probe(path)
                    holds = probe.summary
                    holdsData = probe.holdsData
                } catch {
                    throw .refused("cannot read the target to check what it holds: \(error.description)")
                }
            }
            let fixed = identity.kind == .blockDevice || identity.sizeBytes > 0 ? identity.sizeBytes : nil
            return TargetFacts(
                kindName: identity.kind == .blockDevice ? "block device" : "existing file",
                existingBytes: identity.sizeBytes, holds: holds, holdsData: holdsData, fixedBytes: fixed,
                willCreate: false)
        }
    }
}
