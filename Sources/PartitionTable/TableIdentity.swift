/// The identifiers a new table carries: MBR disk signature, GPT disk and partition GUIDs.
///
/// Kept apart from `DiskLayout` so a plan can fix them once and show the same values in
/// `--dry-run` and in the real run (and tests can use fixed ones).
public struct TableIdentity: Sendable, Equatable, Codable {
    /// MBR disk signature at offset 440; never zero (some tools treat zero as "none").
    public var diskSignature: UInt32
    /// GPT disk GUID (`sfdisk` shows it as the label id).
    public var diskGUID: GUID
    /// GPT entry 1 (Linux filesystem) unique GUID: becomes the guest's PARTUUID.
    public var linuxPartitionGUID: GUID
    /// GPT entry 2 (BIOS boot) unique GUID.
    public var biosBootPartitionGUID: GUID

    /// Fills any identifier not given with a random one (a zero signature also gets one).
    public init(
        diskSignature: UInt32? = nil, diskGUID: GUID? = nil, linuxPartitionGUID: GUID? = nil,
        biosBootPartitionGUID: GUID? = nil
    ) {
        self.diskSignature =
            diskSignature.flatMap { $0 == 0 ? nil : $0 }
            ?? MBR.randomDiskSignature()
        self.diskGUID = diskGUID ?? .random()
        self.linuxPartitionGUID = linuxPartitionGUID ?? .random()
        self.biosBootPartitionGUID = biosBootPartitionGUID ?? .random()
    }
}
