import CExt2fs
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One ext2/3/4 filesystem opened read-only through libext2fs.
///
/// The source is never written: the handle is opened without EXT2_FLAG_RW, so libext2fs's
/// unix I/O manager opens the file or device O_RDONLY. Not thread-safe (libext2fs handles are
/// not); use one instance from one task.
public final class ExtFilesystem {
    /// The raw libext2fs handle, for the other files of this module.
    let fs: ext2_filsys
    public let path: String
    /// Where the filesystem starts in the source: 0 for a bare filesystem, the partition's
    /// offset for a partitioned disk.
    public let offset: UInt64
    /// Bytes of the source available to the filesystem (from `offset` to the end, or to the
    /// end of its partition).
    public let sourceBytes: UInt64

    /// Opens the filesystem at `offset` bytes into `path`, limited to `length` bytes if given.
    public init(path: String, offset: UInt64 = 0, length: UInt64? = nil) throws(ExtFSError) {
        self.path = path
        self.offset = offset
        let total = try ExtFilesystem.sourceSize(path)
        guard total > 0 else { throw .empty(path: path) }
        let available = total > offset ? total - offset : 0
        let size = min(available, length ?? available)
        sourceBytes = size
        guard size >= 2048 else {
            throw .notExt(path: path, detail: "only \(size) bytes, smaller than an ext superblock")
        }

        var handle: ext2_filsys?
        let flags = Int32(EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP)
        // The unix I/O manager takes the partition offset as an io option.
        let options = offset > 0 ? "offset=\(offset)" : nil
        let code = ext2fs_open2(path, options, flags, 0, 0, xen2kvm_unix_io_manager(), &handle)
        guard code == 0, let opened = handle else {
            throw ExtFilesystem.classifyOpenError(path: path, code: Int(code))
        }
        // Checked before `fs` is set: a throwing init of a fully initialised class runs
        // deinit, which would close the handle a second time.
        // A damaged 64-bit block count can name more bytes than a UInt64 holds.
        let blocks = UInt64(xen2kvm_blocks_count(opened))
        let (fsBytes, overflow) = blocks.multipliedReportingOverflow(by: UInt64(opened.pointee.blocksize))
        if overflow || fsBytes > size {
            ext2fs_close_free(&handle)
            if overflow {
                throw .corrupt(path: path, detail: "the superblock counts \(blocks) blocks, more than any disk holds")
            }
            throw .truncated(path: path, filesystemBytes: fsBytes, sourceBytes: size)
        }
        fs = opened
    }

    deinit {
        var handle: ext2_filsys? = fs
        ext2fs_close_free(&handle)
    }

    public var blockSize: Int { Int(fs.pointee.blocksize) }
    public var blockCount: UInt64 { UInt64(xen2kvm_blocks_count(fs)) }
    /// At most `blockCount`: a damaged superblock can count more (a flipped high word of a
    /// 64-bit count), and every size worked out from it would overflow. `facts()` says so.
    public var freeBlockCount: UInt64 { min(UInt64(xen2kvm_free_blocks_count(fs)), blockCount) }

    /// Size of a file or block device without reading its data.
    static func sourceSize(_ path: String) throws(ExtFSError) -> UInt64 {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        defer { try? fd.close() }
        do {
            let end = try fd.seek(offset: 0, from: .end)
            return UInt64(end)
        } catch {
            throw .cannotOpen(path: path, reason: "cannot find its size: \(error)")
        }
    }

    private static func classifyOpenError(path: String, code: Int) -> ExtFSError {
        let text = ExtFSError.message(for: code)
        switch code {
        case Int(EXT2_ET_BAD_MAGIC), Int(EXT2_ET_SB_CSUM_INVALID), Int(EXT2_ET_UNSUPP_FEATURE),
            Int(EXT2_ET_RO_UNSUPP_FEATURE), Int(EXT2_ET_CORRUPT_SUPERBLOCK):
            if code == Int(EXT2_ET_BAD_MAGIC) {
                return .notExt(path: path, detail: "no ext superblock magic at byte 1080")
            }
            return .corrupt(path: path, detail: text)
        case Int(EXT2_ET_SHORT_READ):
            return .corrupt(path: path, detail: "\(text): the image looks truncated")
        default:
            return .corrupt(path: path, detail: text)
        }
    }
}
