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
        guard let bytes = try MountedGuestReads.readAll(file, limit: limit) else { throw Errno.fileTooLarge }
        return bytes
    }

    public func listDirectory(_ path: String) throws -> [GuestDirectoryEntry] {
        guard let stream = opendir(path) else { throw Errno(rawValue: errno) }
        defer { closedir(stream) }
        return entries(named: MountedGuestReads.names(in: stream), in: path)
    }

    public func kind(at path: String, followLast: Bool) -> GuestFileKind? {
        var info = stat()
        guard (followLast ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        return GuestFileKind(mode: info.st_mode)
    }
}
