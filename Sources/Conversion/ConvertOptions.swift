import PartitionTable

/// How the filesystem gets into the new disk.
public enum CopyMethod: String, Sendable, Codable, CaseIterable {
    /// Pick: clone for partitioned or non-ext sources, blocks when the target is big enough.
    case auto
    /// Copy only the blocks the ext bitmaps mark as used, to the partition's offset.
    case blocks
    /// Shrink a copy of the filesystem (resize2fs) to fit a smaller target, then copy its
    /// used blocks. The source is never resized.
    case resize
    /// Make a new filesystem with the source's UUID, label and features, mount both and
    /// copy every file with rsync (defragments; any partition size that holds the data).
    case rsync
    /// Copy the whole disk as it is, sparse-aware (already partitioned or non-Linux disks).
    case clone
    /// A bare filesystem xen2kvm reads no bitmaps of (XFS, the root of CentOS/RHEL 7): copied
    /// whole, as it is, into partition 1 of the new disk, then checked (xfs_repair -n) and fixed.
    case wrap
    /// A Linux swap area: partition 1 gets a new swap area with the source's UUID and label
    /// (mkswap); nothing is copied, a powered-off guest keeps nothing in its swap.
    case swap
}

/// What the operator asked `convert` to do.
public struct ConvertOptions: Sendable, Codable {
    public var source: String
    public var target: String
    public var method: CopyMethod = .auto
    public var table: TableKind = .mbr
    /// First sector of partition 1: 2048, or 32 for the "DOS compatible" layout.
    public var start: UInt64 = PartitionTable.defaultStart
    /// Size of a new file target; nil: just big enough.
    public var targetSize: UInt64?
    /// Write over a target that holds data.
    public var force = false
    /// Copy a source whose filesystem is not clean, or whose metadata is damaged: every block
    /// of the filesystem, then the copy (never the source) repaired with e2fsck -fy. A consent
    /// of its own: the copy may lose what e2fsck cannot save.
    public var repairCopy = false
    /// Where the resize method keeps its shrunken copy; nil: next to a file target, else
    /// $TMPDIR or /var/tmp.
    public var temporaryDirectory: String?

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}
