import CLinuxIO
import ExtFS
import Inspection
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A guest's root directory on the host (a mounted guest filesystem, or a fixture tree),
/// read and written without ever leaving it: the edits read it as one `GuestFileSource`
/// (through a `GuestView`), and `GuestEdits.apply` writes their plan into it.
///
/// Every path is opened with openat2(RESOLVE_IN_ROOT) relative to the root's descriptor: an
/// absolute symlink is resolved against the guest root and `..` stops there, so a guest whose
/// `/etc/fstab` links to `/etc/shadow` gets its own shadow file edited, never the host's.
/// Writes go through the resolved file in place (same inode, owner, mode, SELinux label),
/// so a symlinked config (`menu.lst -> grub.conf`) stays a symlink.
public final class GuestRoot: @unchecked Sendable {
    public let path: String
    private let fd: FileDescriptor

    public init(path: String) throws(GuestFixError) {
        self.path = path
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.directory, .closeOnExec])
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
    }

    deinit { try? fd.close() }

    private func open(_ guestPath: String, _ flags: Int32, mode: UInt32 = 0o644) -> FileDescriptor? {
        let raw = xen2kvm_open_in_root(fd.rawValue, guestPath, flags, mode)
        return raw >= 0 ? FileDescriptor(rawValue: raw) : nil
    }

    /// The text of a guest file, or nil when it does not exist (or is not a regular file).
    public func read(_ guestPath: String) throws(GuestFixError) -> String? {
        try readBytes(guestPath).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes of a guest file, or nil when it does not exist (or is not a regular file).
    public func readBytes(_ guestPath: String, limit: Int = 16 << 20) throws(GuestFixError) -> [UInt8]? {
        guard let file = open(guestPath, O_RDONLY) else {
            if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { return nil }
            throw .io(path: guestPath, operation: "open", reason: "\(Errno(rawValue: errno))")
        }
        defer { try? file.close() }
        var info = stat()
        guard fstat(file.rawValue, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let bytes: [UInt8]?
        do {
            bytes = try MountedGuestReads.readAll(file, limit: limit)
        } catch {
            throw .io(path: guestPath, operation: "read", reason: "\(error)")
        }
        guard let bytes else { throw .tooLarge(path: guestPath) }
        return bytes
    }

    /// Replaces a file's contents in place (through symlinks, inside the root), or creates it
    /// with `mode` when it does not exist.
    public func write(_ guestPath: String, _ text: String, mode: UInt32 = 0o644) throws(GuestFixError) {
        guard let file = open(guestPath, O_WRONLY | O_CREAT | O_TRUNC, mode: mode) else {
            throw .io(path: guestPath, operation: "open for writing", reason: "\(Errno(rawValue: errno))")
        }
        defer { try? file.close() }
        do {
            _ = try file.writeAll(Array(text.utf8))
        } catch {
            throw .io(path: guestPath, operation: "write", reason: "\(error)")
        }
    }

    /// Removes a guest file (the entry itself, not a symlink's target).
    public func remove(_ guestPath: String) throws(GuestFixError) {
        let (parent, name) = Self.split(guestPath)
        guard let directory = open(parent, O_RDONLY | O_DIRECTORY) else {
            if errno == ENOENT { return }
            throw .io(path: guestPath, operation: "open parent", reason: "\(Errno(rawValue: errno))")
        }
        defer { try? directory.close() }
        if unlinkat(directory.rawValue, name, 0) != 0 && errno != ENOENT {
            throw .io(path: guestPath, operation: "remove", reason: "\(Errno(rawValue: errno))")
        }
    }

    /// True when a regular file (after symlinks, inside the root) exists.
    public func isFile(_ guestPath: String) -> Bool {
        guard let file = open(guestPath, O_RDONLY) else { return false }
        defer { try? file.close() }
        var info = stat()
        return fstat(file.rawValue, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// The size of a regular guest file (after symlinks, inside the root), or nil.
    public func size(of guestPath: String) -> UInt64? {
        guard let file = open(guestPath, O_RDONLY) else { return nil }
        defer { try? file.close() }
        var info = stat()
        guard fstat(file.rawValue, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return UInt64(info.st_size)
    }

    /// Bytes an unprivileged writer may still use on the filesystem holding a guest directory.
    public func freeBytes(in guestPath: String) -> UInt64? {
        guard let directory = open(guestPath, O_RDONLY | O_DIRECTORY) else { return nil }
        defer { try? directory.close() }
        var info = statvfs()
        guard fstatvfs(directory.rawValue, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Names in a guest directory, sorted; [] when it does not exist.
    public func list(_ guestPath: String) -> [String] {
        guard let directory = open(guestPath, O_RDONLY | O_DIRECTORY) else { return [] }
        guard let stream = fdopendir(directory.rawValue) else {
            try? directory.close()
            return []
        }
        defer { closedir(stream) }
        return MountedGuestReads.names(in: stream)
    }

    /// What `guestPath` is; with `followLast: false` a final symlink is reported as such.
    public func kind(of guestPath: String, followLast: Bool = true) -> GuestFileKind? {
        let flags = openPathOnly | (followLast ? 0 : O_NOFOLLOW)
        guard let file = open(guestPath, flags) else { return nil }
        defer { try? file.close() }
        var info = stat()
        guard fstat(file.rawValue, &info) == 0 else { return nil }
        return GuestFileKind(mode: info.st_mode)
    }

    static func split(_ guestPath: String) -> (parent: String, name: String) {
        let trimmed = guestPath.hasSuffix("/") ? String(guestPath.dropLast()) : guestPath
        guard let slash = trimmed.lastIndex(of: "/") else { return ("/", trimmed) }
        let parent = String(trimmed[..<slash])
        return (parent.isEmpty ? "/" : parent, String(trimmed[trimmed.index(after: slash)...]))
    }
}

/// Inspection reads a mounted guest through the same confined lookups.
extension GuestRoot: GuestFileSource {
    public func readText(_ path: String) throws -> String? {
        let text: String? = try read(path)
        return text
    }

    public func readRegularFile(_ path: String, limit: Int) throws -> [UInt8]? {
        try readBytes(path, limit: limit)
    }

    public func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        guard let bytes = try readBytes(path, limit: limit) else {
            throw GuestFixError.io(path: path, operation: "open", reason: "not found")
        }
        return bytes
    }

    public func listDirectory(_ path: String) throws -> [GuestDirectoryEntry] {
        entries(named: list(path), in: path)
    }

    public func kind(at path: String, followLast: Bool) -> GuestFileKind? {
        kind(of: path, followLast: followLast)
    }
}

/// O_PATH (Linux; hidden from Swift behind _GNU_SOURCE): a descriptor for fstat only.
private let openPathOnly: Int32 = 0o10_000_000
