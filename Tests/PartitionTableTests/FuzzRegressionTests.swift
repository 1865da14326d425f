import PartitionTable
import TestSupport
import Testing

/// Disks FuzzPartitionTable crashed the reader with (Fuzz/Regressions/FuzzPartitionTable).
@Suite struct FuzzRegressionTests {
    static func read(_ disk: [UInt8]) throws -> DetectedTable? {
        try PartitionTableReader.read(diskBytes: UInt64(disk.count)) { (offset, count) throws(PartitionTableError) in
            guard offset < UInt64(disk.count) else { return [] }
            return Array(disk[Int(offset)..<min(Int(offset) + count, disk.count)])
        }
    }

    /// Every committed input is read as the harness reads it, and everything a caller asks of
    /// the table answers: no trap.
    @Test(arguments: FuzzRegressions.names("FuzzPartitionTable"))
    func committedInput(_ name: String) throws {
        let disk = try FuzzRegressions.input("FuzzPartitionTable", name)
        let table = try Self.read(disk)
        for partition in table?.partitions ?? [] {
            _ = (partition.endSector, partition.offsetBytes, partition.sizeBytes)
        }
    }

    /// A primary header with 0xFFFFFFFF entries of 0xFFFFFFF8 bytes: the array size overflowed
    /// Int (GPT.Header.entriesByteCount). It is an impossible array now, and the partitions
    /// come from the backup.
    @Test func entryArraySizeOverflow() throws {
        let disk = try FuzzRegressions.input("FuzzPartitionTable", "gpt-entry-array-size-overflow")
        let table = try #require(try Self.read(disk))
        #expect(table.kind == .gpt)
        #expect(table.problems.contains { $0.contains("the primary GPT header describes an impossible entry array") })
        #expect(table.partitions.map(\.index) == [1, 2])
    }
}
