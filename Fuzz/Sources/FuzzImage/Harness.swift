import ExtFS
import Glibc

@testable import Inspection

/// The input is a disk image: a bare ext2/3/4 filesystem or a partitioned disk. It is written to
/// one scratch file (rewritten for every input) and inspected as `xen2kvm inspect` does it:
/// libblkid, the partition table, libext2fs, the guest's files and its initrds. Then the block
/// maps `convert` plans from are read (used blocks, metadata, what can be left out). Whether the
/// host uses the scratch file (mounts, loop devices, locks: host state, not input) is not asked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard scratch.fd >= 0, ftruncate(scratch.fd, 0) == 0 else { fatalError("scratch file: \(errno)") }
    var written = 0
    while written < size {
        let count = pwrite(scratch.fd, data! + written, size - written, off_t(written))
        guard count > 0 else { fatalError("writing the scratch image: \(errno)") }
        written += count
    }
    guard let report = try? Inspector.inspect(scratch.path, readInitrds: true, checkInUse: false),
        let filesystem = report.filesystem,
        let fs = try? ExtFilesystem(path: scratch.path, offset: filesystem.offsetBytes)
    else { return 0 }
    _ = try? fs.usedBlockRuns(leavingOutUnneeded: true)
    _ = fs.metadataBlockRuns()
    return 0
}

/// The scratch image: in $FUZZ_SCRATCH_DIR (else $TMPDIR, else /tmp), removed at exit.
let scratch: (path: String, fd: Int32) = {
    let directory =
        getenv("FUZZ_SCRATCH_DIR").map { String(cString: $0) }
        ?? getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    let path = "\(directory)/xen2kvm-fuzz-image-\(getpid()).img"
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    atexit { unlink(scratch.path) }
    return (path, fd)
}()
