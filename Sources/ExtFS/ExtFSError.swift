import CExt2fs

/// Everything that can go wrong reading an ext filesystem, worded for the operator.
public enum ExtFSError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case empty(path: String)
    case notExt(path: String, detail: String)
    case truncated(path: String, filesystemBytes: UInt64, sourceBytes: UInt64)
    case corrupt(path: String, detail: String)
    case guestPathNotFound(String)
    case guestPathNotAFile(String)
    case guestPathNotADirectory(String)
    case guestSymlinkLoop(String)
    case guestFileTooLarge(path: String, size: UInt64, limit: Int)
    case libext2fs(operation: String, code: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .empty(let path):
            return "\(path) is empty: there is no filesystem to read. Check that you named the right volume or image."
        case .notExt(let path, let detail):
            return "\(path) does not hold an ext2/ext3/ext4 filesystem (\(detail)). "
                + "Only bare ext filesystems are converted; a partitioned or non-Linux disk is cloned as it is."
        case .truncated(let path, let fsBytes, let sourceBytes):
            return "\(path) is truncated: its ext filesystem spans \(fsBytes) bytes but the source holds only "
                + "\(sourceBytes). The image was cut short (an incomplete copy?); copy it again from the Xen host."
        case .corrupt(let path, let detail):
            return "the ext filesystem on \(path) is damaged (\(detail)). Run `e2fsck -fn \(path)` to see the damage; "
                + "repair a copy, never the only source."
        case .guestPathNotFound(let path):
            return "\(path): not found in the guest"
        case .guestPathNotAFile(let path):
            return "\(path): not a regular file in the guest"
        case .guestPathNotADirectory(let path):
            return "\(path): not a directory in the guest"
        case .guestSymlinkLoop(let path):
            return "\(path): too many levels of symbolic links in the guest"
        case .guestFileTooLarge(let path, let size, let limit):
            return "\(path): \(size) bytes, more than the \(limit) bytes xen2kvm reads from a guest file"
        case .libext2fs(let operation, let code):
            return "\(operation) failed: \(ExtFSError.message(for: code))"
        }
    }

    /// libext2fs's own text for an error code (com_err table).
    static func message(for code: Int) -> String {
        xen2kvm_register_error_table()
        guard let text = error_message(errcode_t(code)) else { return "error \(code)" }
        return String(cString: text)
    }
}
