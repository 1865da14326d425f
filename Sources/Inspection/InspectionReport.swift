import BlockProbe
import ExtFS
import PartitionTable

/// Everything `xen2kvm inspect` tells about a source; encodes to the documented JSON.
public struct InspectionReport: Sendable, Codable, Equatable {
    public var source: SourceReport
    /// nil when the source holds no ext filesystem xen2kvm can read (e.g. a Windows disk).
    public var filesystem: FilesystemReport?
    public var guest: GuestReport?
    public var findings: [Finding]
    public var readiness: Readiness
}

extension InspectionReport {
    /// The partition of an already partitioned source whose filesystem inspection read (the
    /// first Linux one); nil for a bare filesystem or when none was read.
    public var inspectedPartition: SourcePartition? {
        guard let offset = filesystem?.offsetBytes else { return nil }
        return source.partitions.first { $0.offsetBytes == offset }
    }

    /// The partition of an already partitioned source that holds the Linux guest inspection
    /// read (a distribution or kernels found there); nil for a bare filesystem or no guest.
    public var guestPartition: Int? {
        guard let guest, guest.distro != "unknown" || !guest.kernels.isEmpty else { return nil }
        return inspectedPartition?.number
    }
}

/// The source disk as a whole, as libblkid sees it.
public struct SourceReport: Sendable, Codable, Equatable {
    public var path: String
    /// "file" or "blockDevice".
    public var kind: ProbeResult.SourceKind
    public var sizeBytes: UInt64
    public var type: String?
    public var uuid: String?
    public var label: String?
    /// "dos" or "gpt" when the source is already partitioned.
    public var partitionTable: String?
    /// The partitions of an already partitioned source.
    public var partitions: [SourcePartition]
}

public struct SourcePartition: Sendable, Codable, Equatable {
    public var number: Int
    public var startSector: UInt64
    public var sectors: UInt64
    /// MBR type byte as hex ("83") or the GPT type GUID.
    public var type: String

    /// GPT's BIOS boot partition (`ef02` to sgdisk): where grub2 puts its core.img on a GPT disk
    /// booted by BIOS, as a KVM guest is; without one grub2-install cannot install.
    public static let biosBootGUID = PartitionTable.biosBootType.description
    public var isBIOSBoot: Bool { type == Self.biosBootGUID }

    /// Where the partition starts and how long it is, in bytes. Saturating: a damaged GPT entry
    /// may hold any 64-bit sector numbers (a start past UInt64.max / 512 lies past every disk).
    public var offsetBytes: UInt64 { Self.bytes(startSector) }
    public var sizeBytes: UInt64 { Self.bytes(sectors) }

    private static func bytes(_ sectors: UInt64) -> UInt64 {
        let (bytes, overflow) = sectors.multipliedReportingOverflow(by: 512)
        return overflow ? UInt64.max : bytes
    }
}

/// The ext filesystem that was inspected (the whole source, or a partition of it).
public struct FilesystemReport: Sendable, Codable, Equatable {
    public var type: String
    public var uuid: String
    public var label: String
    public var offsetBytes: UInt64
    public var blockSize: Int
    public var blockCount: UInt64
    public var sizeBytes: UInt64
    public var usedBytes: UInt64
    public var freeBytes: UInt64
    /// What `resize2fs -P` estimates the filesystem can shrink to, in bytes.
    public var minimumBytes: UInt64
    public var inodeCount: UInt32
    public var freeInodes: UInt32
    public var inodeSize: Int
    public var features: [String]
    public var state: FilesystemFacts.State
    public var stateReasons: [String]
    public var hasJournal: Bool
    public var lastMountPoint: String
}

/// What the guest operating system inside the filesystem looks like.
public struct GuestReport: Sendable, Codable, Equatable {
    /// Lower-case id: "centos", "debian", …; "unknown".
    public var distro: String
    public var version: String
    public var prettyName: String
    public var bootloader: BootloaderFacts.Kind
    public var bootloaderConfigs: [String]
    public var defaultKernel: String?
    public var partitionlessRoot: [Location]
    public var kernels: [KernelFacts]
    public var fstab: [FstabEntry]
    public var commandLines: [KernelCommandLine]
    public var config: GuestConfig
}
