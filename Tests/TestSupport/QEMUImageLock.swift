#if canImport(Glibc)
    import Glibc
#endif

/// What a running QEMU holds on its disk images: shared OFD byte-range locks at the offsets
/// its permission scheme uses (here byte 100, "consistent read"). Held until `release`.
public final class QEMUImageLock {
    private var fd: Int32

    public init(_ path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LockError(errno: errno) }
        var lock = flock()
        lock.l_type = Int16(F_RDLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 100
        lock.l_len = 1
        // F_OFD_SETLK (hidden behind _GNU_SOURCE): 37 on every Linux architecture.
        guard fcntl(fd, 37, &lock) == 0 else {
            let error = errno
            close(fd)
            throw LockError(errno: error)
        }
    }

    public func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }

    public struct LockError: Error { public var errno: Int32 }
}
