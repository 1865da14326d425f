import Foundation
import PartitionTable

/// A disk held in memory as a map of written sectors (the rest read as zeros), so the reader
/// can be tested on terabyte layouts without files.
struct MemoryDisk {
    let bytes: UInt64
    var sectors: [UInt64: [UInt8]] = [:]

    init(bytes: UInt64) { self.bytes = bytes }

    /// A disk of `layout.diskBytes` holding what the writer would write.
    init(layout: DiskLayout, identity: TableIdentity) {
        self.init(bytes: layout.diskBytes)
        for (offset, data) in PartitionTableWriter.sectors(for: layout, identity: identity) {
            write(data, at: offset)
        }
    }

    mutating func write(_ data: [UInt8], at offset: UInt64) {
        precondition(offset % 512 == 0 && data.count % 512 == 0)
        for index in 0..<data.count / 512 {
            sectors[offset / 512 + UInt64(index)] = Array(data[index * 512..<(index + 1) * 512])
        }
    }

    mutating func zero(sector: UInt64) { sectors[sector] = nil }

    mutating func flip(byte: Int, of sector: UInt64) {
        var data = self.sector(sector)
        data[byte] ^= 0xFF
        sectors[sector] = data
    }

    func sector(_ index: UInt64) -> [UInt8] {
        sectors[index] ?? [UInt8](repeating: 0, count: 512)
    }

    func read(_ offset: UInt64, _ count: Int) -> [UInt8] {
        guard offset < bytes else { return [] }
        let end = min(offset + UInt64(count), bytes)
        var out: [UInt8] = []
        var position = offset
        while position < end {
            let inSector = Int(position % 512)
            let take = min(512 - inSector, Int(end - position))
            out += sector(position / 512)[inSector..<inSector + take]
            position += UInt64(take)
        }
        return out
    }

    func detect() throws -> DetectedTable? {
        try PartitionTableReader.read(diskBytes: bytes) { offset, count in read(offset, count) }
    }
}

/// Fixed identifiers, so tests can compare them with what tools print.
let fixedIdentity = TableIdentity(
    diskSignature: 0x1234_ABCD,
    diskGUID: GUID("6F8B5A3C-1D2E-4F60-8A9B-0C1D2E3F4A5B")!,
    linuxPartitionGUID: GUID("11111111-2222-4333-8444-555555555555")!,
    biosBootPartitionGUID: GUID("AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE")!)

let mebibyte: UInt64 = 1 << 20
let tebibyte: UInt64 = 1 << 40

/// Reads `count` bytes at `offset` of a file.
func readFile(_ path: String, offset: UInt64, count: Int) throws -> [UInt8] {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    return [UInt8](try handle.read(upToCount: count) ?? Data())
}

/// Overwrites bytes of a file in place.
func patchFile(_ path: String, offset: UInt64, bytes: [UInt8]) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data(bytes))
}

func fileSize(_ path: String) throws -> UInt64 {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as? NSNumber)?.uint64Value ?? 0
}
