import HostSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The resize method's scratch file: a sparse copy of the source filesystem that
/// resize2fs shrinks, so the source itself is never resized. Removed on every path, and kept
/// in the run's record meanwhile: after a kill -9 the next run removes it.
final class ScratchCopy {
    let path: String
    private let made: RunRecord.Holding?
    private let record = RunRecord.current
    private var removed = false

    private init(path: String) {
        self.path = path
        made = FileIdentity.of(path).map { .made(path, $0) }
        if let made { record?.hold(made) }
    }

    /// Creates an empty scratch file in `directory`.
    static func create(in directory: String, sizeBytes: UInt64) throws(ConversionError) -> (ScratchCopy, FileDescriptor)
    {
        var template = Array("\(directory)/xen2kvm-shrink.XXXXXX".utf8CString)
        let raw = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard raw >= 0 else {
            throw .failed("cannot create a scratch file in \(directory): \(Errno(rawValue: errno))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let scratch = ScratchCopy(path: path)
        let fd = FileDescriptor(rawValue: raw)
        do {
            try fd.resize(to: Int64(sizeBytes))
        } catch {
            try? fd.close()
            scratch.remove()
            throw .failed("cannot size the scratch file \(path): \(error)")
        }
        return (scratch, fd)
    }

    /// Checks the copy (resize2fs insists on a freshly checked filesystem), then shrinks it.
    func shrink(toBytes bytes: UInt64, blockSize: UInt64, progress: any ProgressReporter) async throws(ConversionError)
    {
        progress.note("checking the scratch copy with e2fsck -fy")
        _ = try await FilesystemCheck.repair(.init(path: path), what: "the scratch copy")
        progress.note("shrinking the scratch copy to \(bytes) bytes with resize2fs")
        let result = try await Host.run("resize2fs", [path, "\(bytes / blockSize)"], package: "e2fsprogs")
        guard result.status == 0 else {
            throw .failed(
                "resize2fs could not shrink the copy to \(bytes) bytes (exit \(result.status)):\n\(result.tail)")
        }
    }

    func remove() {
        guard !removed else { return }
        removed = true
        _ = unlink(path)
        if let made { record?.drop(made) }
    }

    deinit { remove() }
}
