import PartitionTable

/// The partitions of an already partitioned source, read with the PartitionTable reader.
enum SourcePartitions {
    static let linuxGUID = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

    static func read(_ path: String) -> [SourcePartition] {
        guard let table = try? PartitionTableReader.read(path: path) else { return [] }
        return table.partitions.map { partition in
            let type: String
            if let byte = partition.mbrType {
                type = String(byte, radix: 16)
            } else {
                type = partition.typeGUID.map { "\($0)".uppercased() } ?? "unknown"
            }
            return SourcePartition(
                number: partition.index, startSector: partition.startSector, sectors: partition.sectorCount,
                type: type)
        }
    }

    /// The partition a Linux root filesystem most likely lives in: the first Linux-typed one.
    static func firstLinux(_ partitions: [SourcePartition], path: String) -> SourcePartition? {
        partitions.first { $0.type == "83" || $0.type == linuxGUID }
    }
}
