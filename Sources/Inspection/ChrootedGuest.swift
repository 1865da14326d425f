import ExtFS
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A mounted guest read by plain paths from inside it: the process chroots into the guest
/// first, so every path (a guest's absolute symlink, `..` at the top) resolves in the guest,
/// as openat2(RESOLVE_IN_ROOT) does for `GuestRoot`. For the contained image parser, whose
/// seccomp filter refuses openat2 (its flags cannot be judged) and, once it is on, chroot
/// (the way out of one); made only by `enter`, so a plain path never means a host path.
public struct ChrootedGuest: GuestFileSource {
    /// Chroots this process into `root` and moves to its top. Irreversible, for the whole
    /// process: only for the child that reads one guest and ends.
    public static func enter(_ root: String) throws(InspectionError) -> ChrootedGuest {
        guard chroot(root) == 0, chdir("/") == 0 else {
            throw .cannotRead(path: root, reason: "cannot enter it (chroot): \(Errno(rawValue: errno))")
        }
        return ChrootedGuest()
    }

    private init() {}

    public func readText(_ path: String) throws -> String? {
        guard kind(at: path, followLast: true) == .file else { return nil }
        return String(decoding: try readFile(path, limit: 16 << 20), as: UTF8.self)
    }

    public func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        let file = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        defer { try? file.close() }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { return bytes }
            bytes += buffer.prefix(count)
            guard bytes.count <= limit else { throw Errno.fileTooLarge }
        }
    }

    public func listDirectory(_ path: String) throws -> [GuestDirectoryEntry] {
        guard let stream = opendir(path) else { throw Errno(rawValue: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted().map { name in
            let child = path.hasSuffix("/") ? path + name : path + "/" + name
            return GuestDirectoryEntry(name: name, kind: kind(at: child, followLast: false) ?? .other)
        }
    }

    public func kind(at path: String, followLast: Bool) -> GuestFileKind? {
        var info = stat()
        guard (followLast ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }
}
