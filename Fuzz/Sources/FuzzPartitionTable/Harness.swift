import PartitionTable

/// The input is a whole disk: sector 0 (an MBR or a protective MBR), the GPT headers and their
/// entry arrays. Everything a caller reads from the table is touched too (sizes, offsets, the
/// check against a layout), since that is where damaged 64-bit values go next.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPartitionTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let disk = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let table = try? PartitionTableReader.read(diskBytes: UInt64(disk.count)) {
        (offset, count) throws(PartitionTableError) in
        guard offset < UInt64(disk.count) else { return [] }
        let start = Int(offset)
        return Array(disk[start..<min(start + count, disk.count)])
    }
    guard let table else { return 0 }
    for partition in table.partitions {
        _ = (partition.endSector, partition.offsetBytes, partition.sizeBytes)
    }
    for kind in TableKind.allCases {
        if let layout = try? DiskLayout.forDisk(bytes: UInt64(disk.count), table: kind) {
            _ = table.verify(against: layout)
        }
    }
    return 0
}
