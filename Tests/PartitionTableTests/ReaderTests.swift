import PartitionTable
import Testing

/// Layouts every round-trip test runs on.
struct LayoutCase: Sendable, CustomTestStringConvertible {
    let table: TableKind
    let start: UInt64
    let filesystemBytes: UInt64

    var testDescription: String { "\(table)@\(start), \(filesystemBytes) bytes" }
    func layout() throws -> DiskLayout {
        try DiskLayout.forFilesystem(bytes: filesystemBytes, table: table, start: start)
    }

    static let all: [LayoutCase] = [
        LayoutCase(table: .mbr, start: 2048, filesystemBytes: 64 * mebibyte),
        LayoutCase(table: .mbr, start: 2048, filesystemBytes: 50 * mebibyte + 12_345),
        LayoutCase(table: .mbr, start: 32, filesystemBytes: 64 * mebibyte),
        LayoutCase(table: .mbr, start: 32, filesystemBytes: 50 * mebibyte + 12_345),
        LayoutCase(table: .gpt, start: 2048, filesystemBytes: 64 * mebibyte),
        LayoutCase(table: .gpt, start: 2048, filesystemBytes: 50 * mebibyte + 12_345),
        LayoutCase(table: .gpt, start: 4096, filesystemBytes: 64 * mebibyte),
        LayoutCase(table: .gpt, start: 2048, filesystemBytes: 3 * tebibyte),
        LayoutCase(table: .mbr, start: 2048, filesystemBytes: (1 << 41) - mebibyte),
    ]
}

@Suite struct ReaderTests {
    @Test(arguments: LayoutCase.all)
    func roundTrip(_ testCase: LayoutCase) throws {
        let layout = try testCase.layout()
        let disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        let table = try #require(try disk.detect())
        #expect(table.kind == layout.table)
        #expect(table.problems.isEmpty)
        #expect(table.verify(against: layout, identity: fixedIdentity).isEmpty)
        #expect(table.diskSectors == layout.diskSectors)
        let first = try #require(table.partition(1))
        #expect(first.offsetBytes == layout.partitionOffsetBytes)
        #expect(first.sizeBytes == layout.partitionBytes)
        switch layout.table {
        case .mbr:
            #expect(table.diskSignature == fixedIdentity.diskSignature)
            #expect(first.mbrType == 0x83 && first.bootable)
        case .gpt:
            #expect(table.diskGUID == fixedIdentity.diskGUID)
            #expect(first.name == "Linux filesystem" && !first.bootable)
            #expect(table.partition(2)?.name == "BIOS boot partition")
        }
    }

    @Test func verifyReportsDifferences() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        let other = try DiskLayout.forFilesystem(bytes: 32 * mebibyte, table: .gpt)
        let table = try #require(try MemoryDisk(layout: layout, identity: fixedIdentity).detect())
        let differences = table.verify(against: other, identity: TableIdentity())
        #expect(differences.contains { $0.hasPrefix("partition 1's length") })
        #expect(differences.contains { $0.hasPrefix("the disk GUID") })
    }

    @Test func emptyOrBareFilesystemIsNoTable() throws {
        #expect(try MemoryDisk(bytes: 64 * mebibyte).detect() == nil)
        #expect(try MemoryDisk(bytes: 100).detect() == nil)
        var disk = MemoryDisk(bytes: 64 * mebibyte)
        var sector = [UInt8](repeating: 0, count: 512)
        sector[510] = 0x55
        sector[511] = 0xAA
        disk.write(sector, at: 0)
        #expect(try disk.detect() == nil, "0x55AA with four empty entries")
    }

    @Test func fatBootSectorIsNoTable() throws {
        // A FAT32 boot sector: jump, OEM name, BPB, "FAT32   " at 82, boot code, 0x55AA.
        var sector = [UInt8](repeating: 0, count: 512)
        sector.replaceSubrange(0..<11, with: [0xEB, 0x58, 0x90] + Array("mkfs.fat".utf8))
        sector.replaceSubrange(82..<90, with: Array("FAT32   ".utf8))
        // Boot code bytes that happen to look like a sane entry.
        let entry = MBR.Entry(bootIndicator: 0, type: 0x0B, firstLBA: 63, sectorCount: 1000)
        sector.replaceSubrange(446..<462, with: entry.bytes)
        sector[510] = 0x55
        sector[511] = 0xAA
        var disk = MemoryDisk(bytes: 64 * mebibyte)
        disk.write(sector, at: 0)
        #expect(try disk.detect() == nil)
    }

    @Test func insaneEntriesAreNoTable() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .mbr)
        var disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        var sector = disk.sector(0)
        sector[446] = 0x12  // boot indicator neither 0x00 nor 0x80
        disk.write(sector, at: 0)
        #expect(try disk.detect() == nil)

        let outside = MBR.Entry(bootIndicator: 0, type: 0x83, firstLBA: 1 << 30, sectorCount: 8)
        disk.write(MBR.sector(entries: [outside], diskSignature: 1), at: 0)
        #expect(try disk.detect() == nil, "an entry starting past the end is not believed")
    }

    @Test func truncatedImageAndOverlaps() throws {
        let entries = [
            MBR.Entry(bootIndicator: 0x80, type: 0x83, firstLBA: 2048, sectorCount: 4096),
            MBR.Entry(bootIndicator: 0, type: 0x82, firstLBA: 4000, sectorCount: 100_000),
        ]
        var disk = MemoryDisk(bytes: 50_000 * 512)
        disk.write(MBR.sector(entries: entries, diskSignature: 9), at: 0)
        let table = try #require(try disk.detect())
        #expect(table.kind == .mbr && table.partitions.map(\.index) == [1, 2])
        #expect(table.diskSignature == 9)
        #expect(table.partition(2)?.mbrType == 0x82 && table.partition(2)?.bootable == false)
        #expect(table.problems.count == 2)
        #expect(table.problems.contains { $0.contains("partition 2 ends at sector 103999, past") })
        #expect(table.problems.contains("partitions 1 and 2 overlap"))
    }

    @Test func extendedPartitionIsNoted() throws {
        let entries = [
            MBR.Entry(bootIndicator: 0x80, type: 0x83, firstLBA: 2048, sectorCount: 4096),
            MBR.Entry(bootIndicator: 0, type: 0x05, firstLBA: 8192, sectorCount: 8192),
        ]
        var disk = MemoryDisk(bytes: 20_000 * 512)
        disk.write(MBR.sector(entries: entries, diskSignature: 9), at: 0)
        let table = try #require(try disk.detect())
        #expect(table.problems.count == 1)
        #expect(table.problems.first?.contains("partition 2 is an extended partition") == true)
    }

    @Test func badPrimaryHeaderCRCFallsBackToBackup() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        var disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        disk.flip(byte: 60, of: 1)  // inside the disk GUID
        let table = try #require(try disk.detect())
        #expect(
            table.problems.contains { $0.contains("primary GPT header at LBA 1 has a bad CRC") })
        #expect(table.problems.contains { $0.contains("read from the backup") })
        #expect(table.diskGUID == fixedIdentity.diskGUID)
        #expect(table.partition(1)?.startSector == 2048)
        #expect(!table.verify(against: layout).isEmpty)
    }

    @Test func badEntriesCRC() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        var disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        disk.flip(byte: 100, of: 2)  // a name byte of entry 1 in the primary array
        let table = try #require(try disk.detect())
        #expect(
            table.problems.contains {
                $0.contains("primary GPT entry array at LBA 2 has a bad CRC")
            })
        #expect(table.partitions.count == 2)
    }

    @Test func missingBackup() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        var disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        disk.zero(sector: layout.diskSectors - 1)
        let table = try #require(try disk.detect())
        #expect(
            table.problems == ["the backup GPT header at LBA \(layout.diskSectors - 1) is missing"])
        #expect(table.partitions.count == 2)
    }

    @Test func truncatedGPTImage() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        let full = MemoryDisk(layout: layout, identity: fixedIdentity)
        var cut = MemoryDisk(bytes: layout.diskBytes - mebibyte)
        cut.sectors = full.sectors
        let table = try #require(try cut.detect())
        #expect(
            table.problems.contains { $0.contains("disk was resized or the image is truncated") })
        #expect(
            table.problems.contains { $0.contains("backup GPT header") && $0.contains("missing") })
        #expect(table.problems.contains { $0.contains("partition 1 ends at sector") })
    }

    @Test func mismatchedBackup() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        var disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        let other = PartitionTableWriter.sectors(for: layout, identity: TableIdentity())
        disk.write(other[1].bytes, at: other[1].offset)  // a backup header from another disk
        let table = try #require(try disk.detect())
        #expect(table.problems.count == 2)
        #expect(table.problems.contains { $0.contains("backup GPT entry array") })
        #expect(
            table.problems.contains {
                $0.contains("does not match the primary (disk GUID, entries CRC)")
            })
    }

    @Test func bothHeadersDamaged() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        var disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        disk.zero(sector: 1)
        disk.zero(sector: layout.diskSectors - 1)
        let table = try #require(try disk.detect())
        #expect(table.kind == .gpt && table.partitions.isEmpty)
        #expect(
            table.problems.last == "no readable GPT entry array: the partitions cannot be listed")
    }

    @Test func damagedGPTEntryValuesDoNotTrap() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        let bad = GPT.Entry(
            typeGUID: PartitionTable.linuxFilesystemType, uniqueGUID: .zero, firstLBA: 0,
            lastLBA: UInt64.max, name: "bad")
        let array = GPT.entryArray([bad])
        let headers = GPT.headers(
            for: layout, diskGUID: fixedIdentity.diskGUID, entriesCRC: CRC32.checksum(array))
        var disk = MemoryDisk(layout: layout, identity: fixedIdentity)
        disk.write(array, at: 1024)
        disk.write(headers.primary.sector, at: 512)
        let table = try #require(try disk.detect())
        #expect(table.partition(1)?.sectorCount == UInt64.max)
        #expect(table.problems.contains { $0.contains("outside the usable sectors") })
    }
}
