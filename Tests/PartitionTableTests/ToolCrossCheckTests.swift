import Foundation
import PartitionTable
import TestSupport
import Testing

/// `sfdisk --json` output, the fields the checks use.
struct SfdiskDump: Decodable {
    struct Table: Decodable {
        let label: String
        let id: String
        let unit: String
        let sectorsize: Int
        let firstlba: UInt64?
        let lastlba: UInt64?
        let partitions: [Partition]?
    }
    struct Partition: Decodable {
        let node: String
        let start: UInt64
        let size: UInt64
        let type: String
        let uuid: String?
        let name: String?
        let bootable: Bool?
    }
    let partitiontable: Table

    static func of(_ image: String) async throws -> Table {
        let output = try await Command.check("sfdisk", ["--json", image]).stdout
        return try JSONDecoder().decode(SfdiskDump.self, from: Data(output.utf8)).partitiontable
    }
}

/// `blkid -p -o export` output as a dictionary.
func blkid(_ image: String, offset: UInt64? = nil) async throws -> [String: String] {
    let arguments =
        ["-p", "-o", "export"] + (offset.map { ["--offset", "\($0)"] } ?? []) + [image]
    let output = try await Command.check("blkid", arguments).stdout
    var values: [String: String] = [:]
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    return values
}

let crossCheckTools = ["sfdisk", "sgdisk", "blkid", "mke2fs"]

@Suite struct ToolCrossCheckTests {
    static let cases = LayoutCase.all.filter { $0.start != 4096 }

    /// sfdisk, sgdisk and blkid all read our table as intended.
    @Test(.requires(tools: crossCheckTools), arguments: cases)
    func toolsReadWhatWeWrite(_ testCase: LayoutCase) async throws {
        let directory = try TemporaryDirectory()
        let image = directory.file("disk.img")
        let layout = try testCase.layout()
        try PartitionTableWriter.prepareSparseFile(at: image, bytes: layout.diskBytes)
        try PartitionTableWriter.write(layout, to: image, identity: fixedIdentity)

        let dump = try await SfdiskDump.of(image)
        let partitions = dump.partitions ?? []
        #expect(dump.unit == "sectors" && dump.sectorsize == 512)
        let first = try #require(partitions.first)
        #expect(first.node == image + "1")
        #expect(first.start == layout.partitionStart && first.size == layout.partitionSectors)
        let probe = try await blkid(image)
        switch layout.table {
        case .mbr:
            #expect(dump.label == "dos")
            #expect(dump.id == "0x1234abcd")
            #expect(partitions.count == 1)
            #expect(first.type == "83" && first.bootable == true)
            #expect(probe["PTTYPE"] == "dos" && probe["PTUUID"] == "1234abcd")
        case .gpt:
            #expect(dump.label == "gpt")
            #expect(dump.id == fixedIdentity.diskGUID.description)
            #expect(dump.firstlba == 34 && dump.lastlba == layout.diskSectors - 34)
            #expect(partitions.count == 2)
            #expect(first.type == PartitionTable.linuxFilesystemType.description)
            #expect(first.uuid == fixedIdentity.linuxPartitionGUID.description)
            #expect(first.name == "Linux filesystem")
            let boot = try #require(partitions.last)
            #expect(boot.node == image + "2" && boot.start == 34 && boot.size == 2014)
            #expect(boot.type == PartitionTable.biosBootType.description)
            #expect(boot.name == "BIOS boot partition")
            #expect(probe["PTTYPE"] == "gpt")
            #expect(probe["PTUUID"] == fixedIdentity.diskGUID.description.lowercased())

            let verify = try await Command.check("sgdisk", ["-v", image])
            #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)")
        }
    }

    /// A 3 TiB target: GPT is written, MBR is refused before anything is written.
    @Test(.requires(tools: crossCheckTools))
    func threeTebibyteTarget() async throws {
        let directory = try TemporaryDirectory()
        let image = directory.file("big.img")
        try PartitionTableWriter.prepareSparseFile(at: image, bytes: 3 * tebibyte)
        #expect(
            throws: PartitionTableError.beyondMBRLimit(partitionEndSector: 3 * tebibyte / 512 - 1)
        ) {
            try DiskLayout.forDisk(bytes: 3 * tebibyte, table: .mbr)
        }
        let layout = try DiskLayout.forDisk(bytes: 3 * tebibyte, table: .gpt)
        try PartitionTableWriter.write(layout, to: image, identity: fixedIdentity)
        let dump = try await SfdiskDump.of(image)
        #expect(dump.partitions?.first?.size == 3 * tebibyte / 512 - 2048 - 33)
        let verify = try await Command.check("sgdisk", ["-v", image])
        #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)")
    }

    /// The table goes on top of an image whose partition already holds ext4; the filesystem
    /// must come through byte for byte.
    @Test(
        .requires(tools: crossCheckTools),
        arguments: [
            LayoutCase(table: .mbr, start: 2048, filesystemBytes: 64 * mebibyte),
            LayoutCase(table: .mbr, start: 32, filesystemBytes: 51_213 * 1024),
            LayoutCase(table: .gpt, start: 2048, filesystemBytes: 51_213 * 1024),
        ])
    func filesystemSurvivesTheTable(_ testCase: LayoutCase) async throws {
        let directory = try TemporaryDirectory()
        let image = directory.file("disk.img")
        let layout = try testCase.layout()
        let offset = layout.partitionOffsetBytes
        try await Command.check(
            "mke2fs",
            [
                "-q", "-F", "-t", "ext4", "-E", "offset=\(offset)", image,
                "\(testCase.filesystemBytes / 1024)",
            ])
        #expect(try fileSize(image) == offset + testCase.filesystemBytes)
        #expect(try PartitionTableReader.read(path: image) == nil, "a bare ext4 is no table")
        let before = try readFile(image, offset: offset, count: Int(layout.partitionBytes))
        #expect(before[1080..<1082] == [0x53, 0xEF], "ext superblock magic")

        try PartitionTableWriter.prepareSparseFile(at: image, bytes: layout.diskBytes)
        try PartitionTableWriter.write(layout, to: image, identity: fixedIdentity)

        let after = try readFile(image, offset: offset, count: Int(layout.partitionBytes))
        #expect(after == before)
        #expect(try await blkid(image)["PTTYPE"] == (layout.table == .mbr ? "dos" : "gpt"))
        #expect(try await blkid(image, offset: offset)["TYPE"] == "ext4")
        let detected = try #require(try PartitionTableReader.read(path: image))
        #expect(detected.verify(against: layout, identity: fixedIdentity).isEmpty)
    }

    /// Tables made by sfdisk read back with the same partitions sfdisk reports.
    @Test(
        .requires(tools: crossCheckTools),
        arguments: [
            """
            label: dos
            label-id: 0x0badf00d
            start=63, size=20000, type=83
            start=20480, size=40960, type=82, bootable
            start=65536, size=8192, type=b
            """,
            """
            label: gpt
            label-id: 01234567-89AB-4CDE-8F01-23456789ABCD
            first-lba: 34
            start=2048, size=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"
            start=22528, size=8192, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name="swap", \
              attrs="LegacyBIOSBootable"
            start=34, size=2014, type=21686148-6449-6E6F-744E-656564454649
            """,
        ])
    func readerAgreesWithSfdisk(_ script: String) async throws {
        let directory = try TemporaryDirectory()
        let image = directory.file("disk.img")
        try PartitionTableWriter.prepareSparseFile(at: image, bytes: 64 * mebibyte)
        let scriptPath = directory.file("script")
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        try await Command.check(
            "sh", ["-c", "sfdisk -q --no-reread \"$0\" < \"$1\"", image, scriptPath])

        let dump = try await SfdiskDump.of(image)
        let table = try #require(try PartitionTableReader.read(path: image))
        #expect(table.problems.isEmpty)
        #expect(table.diskSectors == 64 * mebibyte / 512)
        let expected = dump.partitions ?? []
        #expect(table.partitions.count == expected.count)
        for (ours, theirs) in zip(table.partitions, expected) {
            #expect(theirs.node == image + "\(ours.index)")
            #expect(ours.startSector == theirs.start && ours.sectorCount == theirs.size)
            #expect(ours.bootable == (theirs.bootable ?? false) || dump.label == "gpt")
            if let type = ours.mbrType {
                #expect(String(type, radix: 16) == theirs.type)
            } else {
                #expect(ours.typeGUID?.description == theirs.type)
                #expect(ours.uniqueGUID?.description == theirs.uuid)
                #expect(ours.name == (theirs.name ?? ""))
            }
        }
        switch dump.label {
        case "dos":
            #expect(table.kind == .mbr && table.diskSignature == 0x0BAD_F00D)
        default:
            #expect(table.kind == .gpt && table.diskGUID?.description == dump.id)
            #expect(table.partition(2)?.bootable == true, "LegacyBIOSBootable attribute")
        }
    }
}
