import PartitionTable
import Testing

@Suite struct MBRTests {
    @Test func bootSectorBytes() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .mbr)
        let sector = MBR.bootSector(for: layout, diskSignature: 0x1234_ABCD)
        #expect(sector.count == 512)
        #expect(sector[0..<440].allSatisfy { $0 == 0 }, "boot code is left for grub-install")
        #expect(Array(sector[440..<444]) == [0xCD, 0xAB, 0x34, 0x12])
        #expect(sector[444] == 0 && sector[445] == 0)
        #expect(sector[510] == 0x55 && sector[511] == 0xAA)

        let entry = Array(sector[446..<462])
        #expect(entry[0] == 0x80)
        #expect(Array(entry[1..<4]) == [0x20, 0x21, 0x00], "CHS of LBA 2048 is 0/32/33")
        #expect(entry[4] == 0x83)
        #expect(Array(entry[8..<12]) == [0x00, 0x08, 0x00, 0x00])
        #expect(Array(entry[12..<16]) == [0x00, 0x00, 0x02, 0x00])
        #expect(sector[462..<510].allSatisfy { $0 == 0 }, "entries 2-4 stay empty")
    }

    @Test func dosCompatibleStart() throws {
        let layout = try DiskLayout.forFilesystem(bytes: mebibyte, table: .mbr, start: 32)
        let entry = MBR.entries(of: MBR.bootSector(for: layout, diskSignature: 1))[0]
        #expect(entry.firstLBA == 32 && entry.sectorCount == 2048)
        #expect(MBR.chs(lba: 32) == [0x00, 0x21, 0x00])
    }

    @Test func chsTranslation() {
        #expect(MBR.chs(lba: 0) == [0, 1, 0])
        #expect(MBR.chs(lba: 63) == [1, 1, 0])
        #expect(MBR.chs(lba: 16065) == [0, 1, 1])
        // Cylinder 1023 is the last addressable one; bits 8-9 of it go to the sector byte.
        #expect(MBR.chs(lba: 1023 * 16065) == [0, 0xC1, 0xFF])
        #expect(MBR.chs(lba: 1024 * 16065) == [0xFE, 0xFF, 0xFF])
        #expect(MBR.chs(lba: UInt64(UInt32.max)) == [0xFE, 0xFF, 0xFF])
    }

    @Test func entryRoundTrip() {
        let entry = MBR.Entry(bootIndicator: 0x80, type: 0x83, firstLBA: 2048, sectorCount: 99)
        #expect(MBR.Entry(bytes: entry.bytes) == entry)
        #expect(!entry.isEmpty)
        #expect(MBR.Entry(bootIndicator: 0, type: 0, firstLBA: 0, sectorCount: 0).isEmpty)
    }

    @Test func protectiveMBR() throws {
        let small = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        let sector = MBR.bootSector(for: small, diskSignature: 0x1234_ABCD)
        let entries = MBR.entries(of: sector)
        #expect(
            entries[0]
                == MBR.Entry(
                    bootIndicator: 0, type: 0xEE, firstLBA: 1,
                    sectorCount: UInt32(small.diskSectors - 1)))
        #expect(Array(sector[447..<450]) == [0x00, 0x02, 0x00])
        #expect(entries[1...].allSatisfy { $0.isEmpty })
        #expect(sector[0..<446].allSatisfy { $0 == 0 })
        #expect(sector[510] == 0x55 && sector[511] == 0xAA)

        let huge = MBR.protectiveBootSector(diskSectors: 3 * tebibyte / 512)
        #expect(MBR.entries(of: huge)[0].sectorCount == UInt32.max)
    }

    @Test func randomSignaturesAreNonZero() {
        for _ in 0..<100 { #expect(MBR.randomDiskSignature() != 0) }
        #expect(TableIdentity(diskSignature: 0).diskSignature != 0)
        #expect(TableIdentity(diskSignature: 7).diskSignature == 7)
    }
}
