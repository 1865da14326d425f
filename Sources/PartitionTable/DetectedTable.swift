/// One partition found by `PartitionTableReader`.
public struct DetectedPartition: Sendable, Equatable, Codable {
    /// 1-based MBR slot or GPT entry number: the N in the guest's /dev/vdaN.
    public var index: Int
    public var startSector: UInt64
    public var sectorCount: UInt64
    /// MBR partition type (0x83 Linux …); nil on GPT.
    public var mbrType: UInt8?
    /// GPT partition type; nil on MBR.
    public var typeGUID: GUID?
    /// GPT unique partition GUID (the PARTUUID); nil on MBR.
    public var uniqueGUID: GUID?
    /// MBR active flag, or the GPT "legacy BIOS bootable" attribute.
    public var bootable: Bool
    /// GPT partition name; nil on MBR.
    public var name: String?

    public init(
        index: Int, startSector: UInt64, sectorCount: UInt64, mbrType: UInt8? = nil,
        typeGUID: GUID? = nil, uniqueGUID: GUID? = nil, bootable: Bool = false,
        name: String? = nil
    ) {
        self.index = index
        self.startSector = startSector
        self.sectorCount = sectorCount
        self.mbrType = mbrType
        self.typeGUID = typeGUID
        self.uniqueGUID = uniqueGUID
        self.bootable = bootable
        self.name = name
    }

    /// First sector after the partition. Saturating, like the byte values: a damaged table
    /// may hold any 64-bit numbers.
    public var endSector: UInt64 { saturating(startSector.addingReportingOverflow(sectorCount)) }
    public var offsetBytes: UInt64 { saturating(startSector.multipliedReportingOverflow(by: 512)) }
    public var sizeBytes: UInt64 { saturating(sectorCount.multipliedReportingOverflow(by: 512)) }

    private func saturating(_ result: (partialValue: UInt64, overflow: Bool)) -> UInt64 {
        result.overflow ? UInt64.max : result.partialValue
    }
}

/// A partition table found on a disk or image, with whatever is wrong with it.
public struct DetectedTable: Sendable, Equatable, Codable {
    public var kind: TableKind
    /// Used entries only, in slot order.
    public var partitions: [DetectedPartition]
    /// MBR disk signature; nil on GPT.
    public var diskSignature: UInt32?
    /// GPT disk GUID; nil on MBR.
    public var diskGUID: GUID?
    /// Size of the disk the table was read from.
    public var diskSectors: UInt64
    /// Damage found (bad CRCs, missing backup, partitions past the end, overlaps), as
    /// sentences for the operator; empty for a sound table.
    public var problems: [String]

    public init(
        kind: TableKind, partitions: [DetectedPartition], diskSignature: UInt32? = nil,
        diskGUID: GUID? = nil, diskSectors: UInt64, problems: [String] = []
    ) {
        self.kind = kind
        self.partitions = partitions
        self.diskSignature = diskSignature
        self.diskGUID = diskGUID
        self.diskSectors = diskSectors
        self.problems = problems
    }

    /// The partition the guest sees as /dev/vda`index`.
    public func partition(_ index: Int) -> DetectedPartition? {
        partitions.first { $0.index == index }
    }

    /// Everything that differs from what writing `layout` (with `identity`, if given)
    /// produces, plus `problems`: empty when the written table reads back as planned.
    public func verify(against layout: DiskLayout, identity: TableIdentity? = nil) -> [String] {
        var found = problems
        func expect<T: Equatable>(_ what: String, _ actual: T?, _ expected: T) {
            guard actual != expected else { return }
            found.append("\(what) is \(actual.map { "\($0)" } ?? "missing"), expected \(expected)")
        }
        expect("the table kind", kind, layout.table)
        expect("the disk size in sectors", diskSectors, layout.diskSectors)
        let first = partition(1)
        expect("partition 1's start", first?.startSector, layout.partitionStart)
        expect("partition 1's length", first?.sectorCount, layout.partitionSectors)
        switch layout.table {
        case .mbr:
            expect("the partition count", partitions.count, 1)
            expect("partition 1's type", first?.mbrType, PartitionTable.mbrType(for: layout.content))
            expect("partition 1's boot flag", first?.bootable, true)
            if let identity { expect("the disk signature", diskSignature, identity.diskSignature) }
        case .gpt:
            let boot = partition(2)
            expect("the partition count", partitions.count, 2)
            expect("partition 1's type", first?.typeGUID, PartitionTable.gptType(for: layout.content))
            expect("partition 2's type", boot?.typeGUID, PartitionTable.biosBootType)
            expect("partition 2's start", boot?.startSector, PartitionTable.biosBootFirstLBA)
            expect("partition 2's end", boot?.endSector, PartitionTable.biosBootLastLBA + 1)
            if let identity {
                expect("the disk GUID", diskGUID, identity.diskGUID)
                expect("partition 1's GUID", first?.uniqueGUID, identity.linuxPartitionGUID)
                expect("partition 2's GUID", boot?.uniqueGUID, identity.biosBootPartitionGUID)
            }
        }
        return found
    }
}
