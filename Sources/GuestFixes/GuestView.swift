import ExtFS
import Inspection

/// What an edit reads the guest through: any read-only `GuestFileSource` — the mounted root
/// (`GuestRoot`, for `fix` and `convert`) or the unmounted image (`ExtFilesystem`, for
/// `inspect --edits`) — with the contents planned so far laid over it, so later edits build on
/// earlier ones. Edits never write: `GuestEdits.apply` writes the plan into a `GuestRoot`.
///
/// Only `read` sees the plan: the edits ask the other questions (is it a file, a symlink, what
/// a directory holds) of the guest as it is.
public final class GuestView {
    /// The guest as it is.
    public let source: any GuestFileSource
    /// Planned contents (nil value: removed). Filled while `GuestEdits.plan` runs.
    var overlay: [String: String?] = [:]

    /// What one read returns at most: config files are small.
    public static let readLimit = 16 << 20

    public init(_ source: any GuestFileSource) { self.source = source }

    /// The text of a guest file (as planned so far), or nil when it does not exist (or is not
    /// a regular file).
    public func read(_ path: String) throws(GuestFixError) -> String? {
        if let planned = overlay[path] { return planned }
        return try readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes of a guest file, or nil when it does not exist (or is not a regular file).
    public func readBytes(_ path: String, limit: Int = readLimit) throws(GuestFixError) -> [UInt8]? {
        do {
            return try source.readRegularFile(path, limit: limit)
        } catch let error as GuestFixError {
            throw error
        } catch ExtFSError.guestFileTooLarge {
            throw .tooLarge(path: path)
        } catch {
            throw .io(path: path, operation: "read", reason: "\(error)")
        }
    }

    /// True when a regular file (after symlinks) exists.
    public func isFile(_ path: String) -> Bool { kind(of: path) == .file }

    /// What `path` is; with `followLast: false` a final symlink is reported as such.
    public func kind(of path: String, followLast: Bool = true) -> GuestFileKind? {
        source.kind(at: path, followLast: followLast)
    }

    /// Names in a guest directory, sorted; [] when it does not exist.
    public func list(_ path: String) -> [String] {
        ((try? source.listDirectory(path)) ?? []).map(\.name).sorted()
    }
}
