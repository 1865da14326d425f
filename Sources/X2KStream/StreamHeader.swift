/// The stream's first record: which disk this is, its fingerprint, and what will be sent.
public struct StreamHeader: Sendable, Codable, Equatable {
    /// The format's version; a receiver refuses one it does not know.
    public var format: Int = StreamHeader.currentFormat
    /// The guest, as the sender was told (or the disk's name).
    public var guest: String
    /// The disk's path on the Xen host.
    public var disk: String
    /// The Xen host's name (uname -n).
    public var host: String
    /// Changes whenever the source may have: its size, its superblock, its used-block runs
    /// (and a file's modification time). A resume needs the same fingerprint.
    public var fingerprint: String
    /// The plan of what is sent: the filesystem's size and block size, and the bytes of its
    /// used blocks (all sent as data records from offset 0).
    public var filesystemBytes: UInt64
    public var blockSize: UInt64
    public var usedBytes: UInt64
    public var runs: Int
    /// Where this stream's records start: 0, or the checkpoint a resume continues from.
    public var resumedFrom: UInt64 = 0
    /// Why a resume that was asked for does not happen (the stream starts at 0).
    public var notResumed: String?
    /// "zstd" when data payloads are compressed.
    public var compression: String?
    /// The source described for the plan on the KVM side (Conversion's DescribedSource, JSON).
    public var sourceFacts: String

    public static let currentFormat = 1

    public init(
        guest: String, disk: String, host: String, fingerprint: String, filesystemBytes: UInt64, blockSize: UInt64,
        usedBytes: UInt64, runs: Int, sourceFacts: String
    ) {
        self.guest = guest
        self.disk = disk
        self.host = host
        self.fingerprint = fingerprint
        self.filesystemBytes = filesystemBytes
        self.blockSize = blockSize
        self.usedBytes = usedBytes
        self.runs = runs
        self.sourceFacts = sourceFacts
    }
}
