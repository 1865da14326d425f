import PartitionTable
import Testing

@Suite struct GPTTests {
    let layout: DiskLayout
    let writes: [(offset: UInt64, bytes: [UInt8])]

    init() throws {
        layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        writes = PartitionTableWriter.sectors(for: layout, identity: fixedIdentity)
    }

    func write(at offset: UInt64) throws -> [UInt8] {
        try #require(writes.first { $0.offset == offset }).bytes
    }

    @Test func writesTableSectorsOnly() {
        let last = layout.diskSectors - 1
        #expect(writes.map(\.offset) == [(last - 32) * 512, last * 512, 1024, 512, 0])
        #expect(writes.map(\.bytes.count) == [16384, 512, 16384, 512, 512])
    }

    @Test func primaryHeaderFields() throws {
        let raw = try write(at: 512)
        #expect(Array(raw[0..<8]) == Array("EFI PART".utf8))
        let header = try #require(GPT.Header(sector: raw))
        #expect(header.revision == 0x0001_0000)
        #expect(header.headerSize == 92)
        #expect(header.myLBA == 1)
        #expect(header.alternateLBA == layout.diskSectors - 1)
        #expect(header.firstUsableLBA == 34)
        #expect(header.lastUsableLBA == layout.diskSectors - 34)
        #expect(header.diskGUID == fixedIdentity.diskGUID)
        #expect(header.entriesLBA == 2)
        #expect(header.entryCount == 128 && header.entrySize == 128)
        #expect(raw[92...].allSatisfy { $0 == 0 })
        #expect(header.sector == raw)
    }

    @Test func crcsCoverHeaderAndEntries() throws {
        let raw = try write(at: 512)
        let header = try #require(GPT.Header(sector: raw))
        var zeroed = Array(raw[0..<92])
        zeroed.replaceSubrange(16..<20, with: [0, 0, 0, 0])
        #expect(header.headerCRC == CRC32.checksum(zeroed))
        #expect(header.headerCRC == GPT.checksum(ofHeaderSector: raw))
        #expect(header.entriesCRC == CRC32.checksum(try write(at: 1024)))
    }

    @Test func backupMirrorsPrimary() throws {
        let last = layout.diskSectors - 1
        let primary = try #require(GPT.Header(sector: try write(at: 512)))
        let backup = try #require(GPT.Header(sector: try write(at: last * 512)))
        #expect(backup.myLBA == last && backup.alternateLBA == 1)
        #expect(backup.entriesLBA == layout.diskSectors - 33)
        #expect(backup.entriesCRC == primary.entriesCRC)
        #expect(backup.headerCRC != primary.headerCRC)
        #expect(try write(at: (last - 32) * 512) == write(at: 1024))
    }

    @Test func entries() throws {
        let array = try write(at: 1024)
        let linux = GPT.Entry(bytes: Array(array[0..<128]))
        #expect(linux.typeGUID == PartitionTable.linuxFilesystemType)
        #expect(linux.uniqueGUID == fixedIdentity.linuxPartitionGUID)
        #expect(linux.firstLBA == 2048 && linux.lastLBA == layout.partitionLastSector)
        #expect(linux.attributes == 0)
        #expect(linux.name == "Linux filesystem")
        // UTF-16LE name: "L", 0, "i", 0 …
        #expect(Array(array[56..<60]) == [0x4C, 0x00, 0x69, 0x00])

        let boot = GPT.Entry(bytes: Array(array[128..<256]))
        #expect(boot.typeGUID == PartitionTable.biosBootType)
        #expect(boot.firstLBA == 34 && boot.lastLBA == 2047)
        #expect(boot.name == "BIOS boot partition")
        #expect(array[256...].allSatisfy { $0 == 0 })
    }

    @Test func longNamesAreCutAt36Units() {
        let entry = GPT.Entry(
            typeGUID: PartitionTable.linuxFilesystemType, uniqueGUID: .zero, firstLBA: 1,
            lastLBA: 2, name: String(repeating: "é", count: 40))
        #expect(GPT.Entry(bytes: entry.bytes).name == String(repeating: "é", count: 36))
    }

    @Test func headerRejectsGarbage() {
        #expect(GPT.Header(sector: [UInt8](repeating: 0, count: 512)) == nil)
        var raw = GPT.Header(
            myLBA: 1, alternateLBA: 9, firstUsableLBA: 34, lastUsableLBA: 5, diskGUID: .zero,
            entriesLBA: 2, entriesCRC: 0
        ).sector
        raw[12] = 20  // header size below 92
        #expect(GPT.Header(sector: raw) == nil)
    }
}
