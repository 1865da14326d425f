import Foundation
import PartitionTable
import Testing

@Suite struct LayoutTests {
    @Test func filesystemLayoutCoversTheFilesystemExactly() throws {
        let mbr = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .mbr)
        #expect(mbr.partitionStart == 2048)
        #expect(mbr.partitionSectors == 131_072)
        #expect(mbr.diskSectors == 2048 + 131_072)
        #expect(mbr.partitionOffsetBytes == mebibyte)
        #expect(mbr.partitionBytes == 64 * mebibyte)
        #expect(mbr.diskBytes == 65 * mebibyte)
        #expect(mbr.sectorSize == 512)

        let gpt = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        #expect(gpt.diskSectors == 2048 + 131_072 + 33)
        #expect(gpt.partitionLastSector == 2048 + 131_072 - 1)

        let dos = try DiskLayout.forFilesystem(
            bytes: 64 * mebibyte, table: .mbr, start: DiskLayout.start(dosCompatible: true))
        #expect(dos.partitionStart == 32)
        #expect(dos.diskBytes == 32 * 512 + 64 * mebibyte)
    }

    @Test func oddSizesRoundUpToWholeSectors() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 50 * mebibyte + 12_345, table: .mbr)
        #expect(layout.partitionSectors == 50 * 2048 + 25)
        #expect(layout.fits(filesystemBytes: 50 * mebibyte + 12_345))
        #expect(layout.fits(filesystemBytes: 50 * mebibyte + 12_800))
        #expect(!layout.fits(filesystemBytes: 50 * mebibyte + 12_801))
    }

    @Test func requiredDiskBytes() throws {
        #expect(
            try DiskLayout.requiredDiskBytes(filesystemBytes: 10 * mebibyte, table: .gpt)
                == 11 * mebibyte + 33 * 512)
        #expect(
            try DiskLayout.requiredDiskBytes(filesystemBytes: 1, table: .mbr, start: 32)
                == 33 * 512)
    }

    @Test func diskLayoutFillsTheDisk() throws {
        let mbr = try DiskLayout.forDisk(bytes: 100 * mebibyte, table: .mbr)
        #expect(mbr.partitionStart == 2048)
        #expect(mbr.partitionSectors == 100 * 2048 - 2048)
        #expect(mbr.diskBytes == 100 * mebibyte)

        let gpt = try DiskLayout.forDisk(bytes: 100 * mebibyte + 511, table: .gpt)
        #expect(gpt.diskSectors == 100 * 2048)
        #expect(gpt.partitionSectors == 100 * 2048 - 2048 - 33)
        #expect(gpt.partitionBytes == 99 * mebibyte - 33 * 512)
    }

    @Test func gptOverTwoTebibytes() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 3 * tebibyte, table: .gpt)
        #expect(layout.partitionSectors == 3 * tebibyte / 512)
        #expect(
            try DiskLayout.forDisk(bytes: 3 * tebibyte, table: .gpt).diskSectors
                == 3 * tebibyte / 512)
    }

    @Test func mbrUpToExactlyTwoTebibytes() throws {
        let limit = PartitionTable.mbrSectorLimit
        let full = try DiskLayout.forDisk(bytes: limit * 512, table: .mbr)
        #expect(full.partitionStart + full.partitionSectors == limit)
        #expect(throws: PartitionTableError.beyondMBRLimit(partitionEndSector: limit)) {
            try DiskLayout.forDisk(bytes: (limit + 1) * 512, table: .mbr)
        }
        #expect(throws: PartitionTableError.beyondMBRLimit(partitionEndSector: limit)) {
            try DiskLayout.forFilesystem(bytes: (limit - 2047) * 512, table: .mbr)
        }
    }

    @Test func mbrRefusesThreeTebibytes() {
        #expect(throws: PartitionTableError.self) {
            try DiskLayout.forFilesystem(bytes: 3 * tebibyte, table: .mbr)
        }
        do {
            _ = try DiskLayout.forDisk(bytes: 3 * tebibyte, table: .mbr)
            Issue.record("a 3 TiB MBR layout was accepted")
        } catch {
            guard case .beyondMBRLimit = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(error.description.contains("--table gpt"))
        }
    }

    @Test func gptRejectsDosCompatibleStart() {
        let error = #expect(throws: PartitionTableError.self) {
            try DiskLayout.forFilesystem(bytes: mebibyte, table: .gpt, start: 32)
        }
        #expect(error == .startTooSmall(table: .gpt, start: 32, minimum: 2048))
        #expect(error?.description.contains("drop --dos-compat or use --table mbr") == true)
    }

    @Test(arguments: [
        (TableKind.mbr, UInt64(31)), (.mbr, 0), (.gpt, 34), (.gpt, 2047),
    ])
    func startTooSmall(table: TableKind, start: UInt64) {
        #expect(
            throws: PartitionTableError.startTooSmall(
                table: table, start: start, minimum: DiskLayout.minimumStart(for: table))
        ) {
            try DiskLayout.forFilesystem(bytes: mebibyte, table: table, start: start)
        }
    }

    @Test func emptyFilesystemAndPartition() {
        #expect(throws: PartitionTableError.emptyFilesystem) {
            try DiskLayout.forFilesystem(bytes: 0, table: .mbr)
        }
        #expect(throws: PartitionTableError.emptyPartition) {
            try DiskLayout(
                table: .mbr, partitionStart: 2048, partitionSectors: 0, diskSectors: 4096)
        }
    }

    @Test func diskTooSmall() throws {
        // 2048 + 1 + 33 sectors is the smallest GPT disk.
        #expect(
            throws: PartitionTableError.diskTooSmall(
                table: .gpt, diskBytes: 2081 * 512, neededBytes: 2082 * 512)
        ) {
            try DiskLayout.forDisk(bytes: 2081 * 512, table: .gpt)
        }
        #expect(
            throws: PartitionTableError.diskTooSmall(
                table: .mbr, diskBytes: mebibyte, neededBytes: mebibyte + 512)
        ) {
            try DiskLayout.forDisk(bytes: mebibyte, table: .mbr)
        }
        #expect(
            throws: PartitionTableError.diskTooSmall(
                table: .gpt, diskBytes: 4000 * 512, neededBytes: 4001 * 512)
        ) {
            try DiskLayout(
                table: .gpt, partitionStart: 2048, partitionSectors: 1920, diskSectors: 4000)
        }
        #expect(try DiskLayout.forDisk(bytes: 2082 * 512, table: .gpt).partitionSectors == 1)
    }

    @Test func absurdSizes() {
        #expect(throws: PartitionTableError.self) {
            try DiskLayout.forFilesystem(bytes: UInt64.max, table: .gpt)
        }
        #expect(throws: PartitionTableError.self) {
            try DiskLayout.forDisk(bytes: UInt64.max, table: .gpt)
        }
        #expect(throws: PartitionTableError.self) {
            try DiskLayout(
                table: .gpt, partitionStart: 2048, partitionSectors: UInt64.max / 2,
                diskSectors: UInt64.max)
        }
    }

    @Test func codableRoundTripAndValidation() throws {
        let layout = try DiskLayout.forFilesystem(bytes: 64 * mebibyte, table: .gpt)
        let data = try JSONEncoder().encode(layout)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains(#""table":"gpt""#))
        #expect(try JSONDecoder().decode(DiskLayout.self, from: data) == layout)
        #expect(try JSONDecoder().decode(TableKind.self, from: Data(#""mbr""#.utf8)) == .mbr)

        let invalid = #"{"table":"gpt","partitionStart":32,"partitionSectors":8,"diskSectors":80}"#
        #expect(throws: PartitionTableError.self) {
            try JSONDecoder().decode(DiskLayout.self, from: Data(invalid.utf8))
        }
        let wrongSector = """
            {"table":"mbr","partitionStart":2048,"partitionSectors":8,"diskSectors":4096,
             "sectorSize":4096}
            """
        #expect(throws: PartitionTableError.unsupportedSectorSize(4096)) {
            try JSONDecoder().decode(DiskLayout.self, from: Data(wrongSector.utf8))
        }
    }

    @Test func errorsSayWhatToDo() {
        let errors: [PartitionTableError] = [
            .startTooSmall(table: .mbr, start: 1, minimum: 32),
            .emptyFilesystem, .emptyPartition,
            .diskTooSmall(table: .gpt, diskBytes: 1, neededBytes: 2),
            .beyondMBRLimit(partitionEndSector: 1 << 33), .tooLarge(sectors: 1 << 60),
            .unsupportedSectorSize(4096), .cannotOpen(path: "/x", reason: "No such file"),
            .io(path: "/x", operation: "fsync", reason: "EIO"),
            .targetTooSmall(path: "/x", bytes: 1, neededBytes: 2),
            .gptTargetSizeMismatch(path: "/x", bytes: 1, layoutBytes: 2),
        ]
        for error in errors {
            #expect(error.description.count > 20, "\(error)")
        }
    }
}
