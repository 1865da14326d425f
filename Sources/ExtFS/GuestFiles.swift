import CExt2fs

/// The kind of a guest directory entry or inode.
public enum GuestFileKind: String, Sendable, Codable {
    case file, directory, symlink, other
}

/// One entry of a guest directory.
public struct GuestDirectoryEntry: Sendable, Equatable {
    public var name: String
    public var kind: GuestFileKind

    public init(name: String, kind: GuestFileKind) {
        self.name = name
        self.kind = kind
    }
}

/// Reads files of the guest straight from the filesystem, without mounting it.
///
/// Guest paths are untrusted. Every lookup goes through libext2fs's namei with the
/// filesystem's own root as the root: an absolute symlink is resolved against the guest root,
/// `..` at the root stays at the root (the root directory's `..` is itself), and link chains
/// deeper than libext2fs's limit fail as a loop. Nothing can reach a host file.
extension ExtFilesystem {
    /// Default cap on what one read returns: config files are small, initrds are not huge.
    public static let defaultReadLimit = 512 << 20

    /// The inode `path` names, following symlinks inside the guest (also in the last component
    /// when `followLast`).
    func inode(of path: String, followLast: Bool = true) throws(ExtFSError) -> ext2_ino_t {
        var ino: ext2_ino_t = 0
        let root = ext2_ino_t(EXT2_ROOT_INO)
        let code =
            followLast
            ? ext2fs_namei_follow(fs, root, root, path, &ino)
            : ext2fs_namei(fs, root, root, path, &ino)
        switch code {
        case 0: return ino
        case errcode_t(EXT2_ET_FILE_NOT_FOUND), errcode_t(EXT2_ET_NO_DIRECTORY):
            throw .guestPathNotFound(path)
        case errcode_t(EXT2_ET_SYMLINK_LOOP):
            throw .guestSymlinkLoop(path)
        default:
            throw .libext2fs(operation: "looking up \(path) in the guest", code: Int(code))
        }
    }

    func readInode(_ ino: ext2_ino_t, path: String) throws(ExtFSError) -> ext2_inode {
        var inode = ext2_inode()
        let code = ext2fs_read_inode(fs, ino, &inode)
        guard code == 0 else {
            throw .libext2fs(operation: "reading the inode of \(path)", code: Int(code))
        }
        return inode
    }

    static func kind(of mode: UInt16) -> GuestFileKind {
        let mode = UInt32(mode)
        if xen2kvm_linux_s_isreg(mode) != 0 { return .file }
        if xen2kvm_linux_s_isdir(mode) != 0 { return .directory }
        if xen2kvm_linux_s_islnk(mode) != 0 { return .symlink }
        return .other
    }

    /// What `path` is after following symlinks; nil when it does not exist (or a link dangles).
    public func kind(at path: String, followLast: Bool = true) -> GuestFileKind? {
        guard let ino = try? inode(of: path, followLast: followLast),
            let inode = try? readInode(ino, path: path)
        else { return nil }
        return Self.kind(of: inode.i_mode)
    }

    public func exists(_ path: String) -> Bool { kind(at: path) != nil }

    /// The contents of a regular file, following symlinks inside the guest.
    public func readFile(_ path: String, limit: Int = defaultReadLimit) throws(ExtFSError) -> [UInt8] {
        let ino = try inode(of: path)
        var inode = try readInode(ino, path: path)
        guard Self.kind(of: inode.i_mode) == .file else { throw .guestPathNotAFile(path) }
        // The files inspection reads (configs, initrds) are never sparse: a size beyond what
        // the inode's blocks hold is a damaged size (a flipped high bit), which would have a
        // small file read as hundreds of MiB of zeros.
        let allocated = UInt64(ext2fs_get_stat_i_blocks(fs, &inode)) * 512 + UInt64(blockSize)

        var file: ext2_file_t?
        var code = ext2fs_file_open(fs, ino, 0, &file)
        guard code == 0, let file else {
            throw .libext2fs(operation: "opening \(path) in the guest", code: Int(code))
        }
        defer { ext2fs_file_close(file) }
        var size: UInt64 = 0
        code = ext2fs_file_get_lsize(file, &size)
        guard code == 0 else { throw .libext2fs(operation: "sizing \(path)", code: Int(code)) }
        guard size <= UInt64(limit) else { throw .guestFileTooLarge(path: path, size: size, limit: limit) }
        guard size <= allocated else {
            throw .corrupt(
                path: self.path, detail: "\(path) in the guest is \(size) bytes long but has blocks for \(allocated)")
        }

        var bytes = [UInt8](repeating: 0, count: Int(size))
        var filled = 0
        while filled < bytes.count {
            var got: UInt32 = 0
            let want = UInt32(min(bytes.count - filled, 1 << 20))
            code = bytes.withUnsafeMutableBytes { buffer in
                ext2fs_file_read(file, buffer.baseAddress! + filled, want, &got)
            }
            guard code == 0 else {
                throw .libext2fs(operation: "reading \(path) from the guest", code: Int(code))
            }
            if got == 0 { break }
            filled += Int(got)
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// A text file as a String (invalid UTF-8 repaired), nil when it does not exist.
    public func readText(_ path: String, limit: Int = 4 << 20) throws(ExtFSError) -> String? {
        do {
            return String(decoding: try readFile(path, limit: limit), as: UTF8.self)
        } catch .guestPathNotFound {
            return nil
        }
    }

    /// The target a symlink stores (not resolved), or nil when `path` is not a symlink.
    public func symlinkTarget(_ path: String) throws(ExtFSError) -> String? {
        let ino = try inode(of: path, followLast: false)
        var inode = try readInode(ino, path: path)
        guard Self.kind(of: inode.i_mode) == .symlink else { return nil }
        let length = Int(inode.i_size)
        // A fast symlink keeps its target inside the inode's block pointers.
        if ext2fs_is_fast_symlink(&inode) != 0 {
            let raw = withUnsafeBytes(of: inode.i_block) { Array($0.prefix(length)) }
            return String(decoding: raw, as: UTF8.self)
        }
        var file: ext2_file_t?
        let code = ext2fs_file_open(fs, ino, 0, &file)
        guard code == 0, let file else { throw .libext2fs(operation: "reading link \(path)", code: Int(code)) }
        defer { ext2fs_file_close(file) }
        var bytes = [UInt8](repeating: 0, count: min(length, 4096))
        var got: UInt32 = 0
        _ = bytes.withUnsafeMutableBytes { ext2fs_file_read(file, $0.baseAddress, UInt32($0.count), &got) }
        return String(decoding: bytes.prefix(Int(got)), as: UTF8.self)
    }

    /// The entries of a guest directory, without `.` and `..`, sorted by name.
    public func listDirectory(_ path: String) throws(ExtFSError) -> [GuestDirectoryEntry] {
        let ino = try inode(of: path)
        guard Self.kind(of: try readInode(ino, path: path).i_mode) == .directory else {
            throw .guestPathNotADirectory(path)
        }
        let collector = DirectoryCollector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        let code = ext2fs_dir_iterate2(
            fs, ino, 0, nil,
            { _, _, dirent, _, _, _, context in
                guard let dirent, let context else { return 0 }
                let collector = Unmanaged<DirectoryCollector>.fromOpaque(context).takeUnretainedValue()
                let nameLength = Int(dirent.pointee.name_len & 0xFF)
                let name = withUnsafeBytes(of: dirent.pointee.name) { raw in
                    String(decoding: raw.prefix(nameLength), as: UTF8.self)
                }
                if name != "." && name != ".." {
                    collector.entries.append((name, dirent.pointee.inode))
                }
                return 0
            }, context)
        guard code == 0 else {
            throw .libext2fs(operation: "listing \(path) in the guest", code: Int(code))
        }
        var result: [GuestDirectoryEntry] = []
        for (name, child) in collector.entries {
            let kind = (try? readInode(child, path: name)).map { Self.kind(of: $0.i_mode) } ?? .other
            result.append(GuestDirectoryEntry(name: name, kind: kind))
        }
        return result.sorted { $0.name < $1.name }
    }
}

/// Carries directory entries out of libext2fs's C callback.
private final class DirectoryCollector {
    var entries: [(String, ext2_ino_t)] = []
}
