import ExtFS
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What reading a mounted guest through host descriptors takes, whichever way its paths are
/// confined: `ChrootedGuest` (the parser child, chrooted) and GuestFixes' `GuestRoot`
/// (openat2 RESOLVE_IN_ROOT) read files, list directories and tell kinds the same way.
public enum MountedGuestReads {
    /// Reads an open file to its end; nil when it holds more than `limit` bytes.
    public static func readAll(_ file: FileDescriptor, limit: Int) throws -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { return bytes }
            bytes += buffer.prefix(count)
            guard bytes.count <= limit else { return nil }
        }
    }

    /// The names in an open directory stream (`opendir`, `fdopendir`), sorted, without `.`
    /// and `..`.
    public static func names(in stream: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

extension GuestFileKind {
    /// The kind a stat's `st_mode` says.
    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .file
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink
        default: self = .other
        }
    }
}

extension GuestFileSource {
    /// The entries of directory `path` with these names, each with its kind (a final symlink
    /// as such).
    public func entries(named names: [String], in path: String) -> [GuestDirectoryEntry] {
        names.map { name in
            let child = path.hasSuffix("/") ? path + name : path + "/" + name
            return GuestDirectoryEntry(name: name, kind: kind(at: child, followLast: false) ?? .other)
        }
    }
}
