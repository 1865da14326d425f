import ExtFS

/// A fingerprint of every file, directory and symlink in an ext filesystem, read through
/// libext2fs: path → kind and content (file bytes hashed, link targets verbatim).
public func guestTreeFingerprint(_ image: String, offset: UInt64 = 0) throws -> [String: String] {
    let fs = try ExtFilesystem(path: image, offset: offset)
    var result: [String: String] = [:]
    var pending = ["/"]
    while let directory = pending.popLast() {
        for entry in try fs.listDirectory(directory) where entry.name != "lost+found" {
            let path = directory == "/" ? "/\(entry.name)" : "\(directory)/\(entry.name)"
            switch entry.kind {
            case .directory:
                result[path] = "dir"
                pending.append(path)
            case .symlink:
                result[path] = "link:" + (try fs.symlinkTarget(path) ?? "")
            case .file:
                result[path] = "file:\(fnv1a(try fs.readFile(path)))"
            case .other:
                result[path] = "other"
            }
        }
    }
    return result
}

/// FNV-1a, 64 bits: enough to tell files apart in tests.
public func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}
