import Foundation
import PartitionTable
import SystemPackage
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct WriterTests {
    /// A file of `bytes` filled with 0xA5, standing for data the writer must not touch.
    func patternedFile(_ directory: TemporaryDirectory, bytes: UInt64) throws -> String {
        let path = directory.file("disk.img")
        let data = Data(repeating: 0xA5, count: Int(bytes))
        #expect(FileManager.default.createFile(atPath: path, contents: data))
        return path
    }

    @Test(arguments: [TableKind.mbr, .gpt])
    func writesOnlyTableSectors(_ table: TableKind) throws {
        let directory = try TemporaryDirectory()
        let start = table == .mbr ? PartitionTable.dosCompatibleStart : 2048
        let layout = try DiskLayout.forFilesystem(bytes: mebibyte, table: table, start: start)
        let path = try patternedFile(directory, bytes: layout.diskBytes)
        try PartitionTableWriter.write(layout, to: path, identity: fixedIdentity)

        let image = try readFile(path, offset: 0, count: Int(layout.diskBytes))
        var expected = [UInt8](repeating: 0xA5, count: Int(layout.diskBytes))
        for (offset, bytes) in PartitionTableWriter.sectors(for: layout, identity: fixedIdentity) {
            expected.replaceSubrange(Int(offset)..<Int(offset) + bytes.count, with: bytes)
        }
        #expect(image == expected)
        let partition = image[
            Int(
                layout.partitionOffsetBytes)..<Int(
                    layout.partitionOffsetBytes + layout.partitionBytes)]
        #expect(partition.allSatisfy { $0 == 0xA5 })
        #expect(try fileSize(path) == layout.diskBytes, "the writer never grows a file")

        let detected = try #require(try PartitionTableReader.read(path: path))
        #expect(detected.verify(against: layout, identity: fixedIdentity).isEmpty)
    }

    @Test func writeToPathReturnsTheIdentifiersWritten() throws {
        let directory = try TemporaryDirectory()
        let layout = try DiskLayout.forFilesystem(bytes: mebibyte, table: .gpt)
        let path = directory.file("disk.img")
        try PartitionTableWriter.prepareSparseFile(at: path, bytes: layout.diskBytes)
        let guid = GUID.random()
        let identity = try PartitionTableWriter.write(layout, to: path, diskGUID: guid)
        #expect(identity.diskGUID == guid)
        let detected = try #require(try PartitionTableReader.read(path: path))
        #expect(detected.verify(against: layout, identity: identity).isEmpty)
    }

    @Test func writeThroughADescriptor() throws {
        let directory = try TemporaryDirectory()
        let layout = try DiskLayout.forFilesystem(bytes: mebibyte, table: .mbr)
        let path = directory.file("disk.img")
        try PartitionTableWriter.prepareSparseFile(at: path, bytes: layout.diskBytes)
        let fd = try FileDescriptor.open(FilePath(path), .readWrite)
        defer { try? fd.close() }
        try PartitionTableWriter.write(layout, to: fd, identity: fixedIdentity)
        let detected = try #require(try PartitionTableReader.read(from: fd))
        #expect(detected.diskSignature == fixedIdentity.diskSignature)
    }

    @Test func refusesATargetSmallerThanTheDisk() throws {
        let directory = try TemporaryDirectory()
        let layout = try DiskLayout.forFilesystem(bytes: mebibyte, table: .gpt)
        let path = try patternedFile(directory, bytes: layout.diskBytes - 512)
        #expect(
            throws: PartitionTableError.targetTooSmall(
                path: path, bytes: layout.diskBytes - 512, neededBytes: layout.diskBytes)
        ) {
            try PartitionTableWriter.write(layout, to: path, identity: fixedIdentity)
        }
        #expect(try readFile(path, offset: 0, count: 1024).allSatisfy { $0 == 0xA5 })
    }

    @Test func gptNeedsTheTargetSizeItWasPlannedFor() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("disk.img")
        try PartitionTableWriter.prepareSparseFile(at: path, bytes: 8 * mebibyte)
        let small = try DiskLayout.forFilesystem(bytes: mebibyte, table: .gpt)
        #expect(
            throws: PartitionTableError.gptTargetSizeMismatch(
                path: path, bytes: 8 * mebibyte, layoutBytes: small.diskBytes)
        ) {
            try PartitionTableWriter.write(small, to: path, identity: fixedIdentity)
        }
        // The same partition on the whole target: the backup lands in its last sector.
        let planned = try DiskLayout(
            table: .gpt, partitionStart: small.partitionStart,
            partitionSectors: small.partitionSectors, diskSectors: 8 * mebibyte / 512)
        try PartitionTableWriter.write(planned, to: path, identity: fixedIdentity)
        let detected = try #require(try PartitionTableReader.read(path: path))
        #expect(detected.verify(against: planned, identity: fixedIdentity).isEmpty)
        // MBR keeps nothing at the end, so a larger target is fine.
        let mbr = try DiskLayout.forFilesystem(bytes: mebibyte, table: .mbr)
        try PartitionTableWriter.write(mbr, to: path, identity: fixedIdentity)
    }

    @Test func refusesAMissingTarget() throws {
        let directory = try TemporaryDirectory()
        let layout = try DiskLayout.forFilesystem(bytes: mebibyte, table: .mbr)
        let path = directory.file("absent.img")
        let error = #expect(throws: PartitionTableError.self) {
            try PartitionTableWriter.write(layout, to: path)
        }
        guard case .cannotOpen(path, _) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func prepareSparseFileCreatesExtendsNeverShrinks() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sparse.img")
        try PartitionTableWriter.prepareSparseFile(at: path, bytes: 3 * tebibyte)
        #expect(try fileSize(path) == 3 * tebibyte)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_blocks < 1024, "sparse: no data blocks allocated")

        let small = directory.file("small.img")
        #expect(FileManager.default.createFile(atPath: small, contents: Data([1, 2, 3])))
        try PartitionTableWriter.prepareSparseFile(at: small, bytes: 4096)
        #expect(try fileSize(small) == 4096)
        #expect(try readFile(small, offset: 0, count: 4) == [1, 2, 3, 0])
        try PartitionTableWriter.prepareSparseFile(at: small, bytes: 10)
        #expect(try fileSize(small) == 4096)
    }

    @Test func readerOnFiles() throws {
        let directory = try TemporaryDirectory()
        let empty = directory.file("empty.img")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(try PartitionTableReader.read(path: empty) == nil)
        #expect(throws: PartitionTableError.self) {
            try PartitionTableReader.read(path: directory.file("absent.img"))
        }
    }
}
