import ExtFS

/// Read access to a guest's files, resolved inside the guest root.
///
/// Inspection and the guest edits only read through this, so they work the same on an
/// unmounted ext image (`ExtFilesystem`, via libext2fs: `inspect`, `inspect --edits`) and on a
/// mounted guest (GuestFixes' `GuestRoot`: `fix`, `convert`).
public protocol GuestFileSource {
    /// A text file, or nil when it does not exist.
    func readText(_ path: String) throws -> String?
    func readFile(_ path: String, limit: Int) throws -> [UInt8]
    /// The bytes of a regular file (after symlinks), or nil when there is none at `path`.
    func readRegularFile(_ path: String, limit: Int) throws -> [UInt8]?
    func listDirectory(_ path: String) throws -> [GuestDirectoryEntry]
    /// What `path` is, or nil when it does not exist.
    func kind(at path: String, followLast: Bool) -> GuestFileKind?
}

extension GuestFileSource {
    public func readRegularFile(_ path: String, limit: Int) throws -> [UInt8]? {
        guard kind(at: path, followLast: true) == .file else { return nil }
        return try readFile(path, limit: limit)
    }

    func exists(_ path: String) -> Bool { kind(at: path, followLast: true) != nil }
    func isFile(_ path: String) -> Bool { kind(at: path, followLast: true) == .file }

    /// Lines of a text file, or [] when absent or unreadable.
    func lines(_ path: String) -> [String] {
        guard let text = try? readText(path) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
    }

    /// Names in a directory, or [] when absent.
    func names(in directory: String) -> [String] {
        ((try? listDirectory(directory)) ?? []).map(\.name)
    }
}

extension ExtFilesystem: GuestFileSource {
    public func readText(_ path: String) throws -> String? {
        let text: String? = try readText(path, limit: 4 << 20)
        return text
    }
}
