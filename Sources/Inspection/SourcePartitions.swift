import PartitionTable

/// The partitions of an already partitioned source, read with the PartitionTable reader.
enum SourcePartitions {
    static func read(_ path: String) -> [SourcePartition] {
        []
    }

    /// The partition a Linux root filesystem most likely lives in: the first Linux-typed one.
    static func firstLinux(_ partitions: [SourcePartition], path: String) -> SourcePartition? {
        partitions.first { $0.type == "83" || $0.type.uppercased() == "0FC63DAF-8483-4772-8E79-3D69D8477DE4" }
    }
}
