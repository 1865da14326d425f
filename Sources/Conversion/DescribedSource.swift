import ExtFS
import HostSystem

/// A source described on the host it lies on — the Xen host's `xen2kvm send`, in its contained
/// parser — for a plan made on the KVM host (`Planner.plan(_:described:)`): what the planner
/// reads of a source, and whether the source is in use there.
public struct DescribedSource: Sendable, Codable {
    var facts: SourceFacts
    var kind: DiskIdentity.Kind
    var sizeBytes: UInt64
    /// Why the source is in use on its host (mounted, held by blkback, locked), nil when not.
    var inUse: String?

    /// Reads `path` as the planner would; `inUse` was found before the parser contained itself.
    public static func describe(_ path: String, inUse: String?) throws(ConversionError) -> DescribedSource {
        let identity = DiskIdentity.of(path)
        guard identity.kind == .file || identity.kind == .blockDevice else {
            throw .refused("\(path) is neither an image file nor a block device")
        }
        let facts = try SourceFacts.read(path, identity: identity)
        return DescribedSource(facts: facts, kind: identity.kind, sizeBytes: identity.sizeBytes, inUse: inUse)
    }

    /// A bare ext filesystem, clean: what the used-blocks stream can send.
    public var isCleanBareExt: Bool {
        facts.filesystemType?.hasPrefix("ext") == true && facts.partitionTable == nil && facts.clean == true
    }

    public var filesystemBytes: UInt64? { facts.filesystemBytes }
    /// "ext4", "xfs", … (libblkid's name), nil when none was found.
    public var filesystemType: String? { facts.filesystemType }
    public var holds: String { facts.holds }
}

/// The blocks the used-blocks copy sends, in filesystem blocks: `send` (used, with the
/// filesystem's own structure) and `zero` (unused inode tables, a clean journal's log: not
/// read, and zeros in the target). The rest is free. Derived from `CopyRuns`, the one rule
/// for the local copy (`Converter.copyUsedBlocks`, from the parser child) and the x2k sender.
public struct UsedBlockRuns: Sendable {
    public var blockSize: UInt64
    public var send: [Range<UInt64>]
    public var zero: [Range<UInt64>]

    public init(_ runs: CopyRuns) {
        blockSize = runs.blockSize
        send = runs.needed
        zero = ExtFilesystem.subtract(runs.needed, from: runs.used)
    }

    public static func read(_ path: String) throws(ConversionError) -> UsedBlockRuns {
        do {
            return UsedBlockRuns(try ExtFilesystem(path: path).copyRuns())
        } catch {
            throw .failed(
                "reading the block bitmaps of \(path): \(error.description) To copy it anyway, convert with "
                    + "--repair-copy: every block is copied and the copy repaired with e2fsck -fy")
        }
    }
}
