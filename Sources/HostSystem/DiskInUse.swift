#if canImport(Glibc)
    import Glibc
#endif

/// Whether a disk is in use by something else on this host, so that writing it (or reading it
/// for a copy) would meet a live filesystem: mounted (itself, through a loop device, or a
/// partition of either), held open exclusively (blkback of a running Xen guest, a
/// device-mapper or md layer), or locked by QEMU, which locks the images of running VMs.
public enum DiskInUse {
    /// What uses `path`, as a sentence part ("mounted read-write on /mnt"), or nil. A read-only
    /// mount counts only when `readOnlyMountsCount`.
    public static func reason(_ path: String, readOnlyMountsCount: Bool = true) -> String? {
        let identity = DiskIdentity.of(path)
        let mounts = Mounts.using(identity)
        let counted = readOnlyMountsCount ? mounts : mounts.filter(\.readWrite)
        if !counted.isEmpty {
            let how = counted.allSatisfy(\.readWrite) ? "mounted read-write" : "mounted"
            return "\(how) on \(counted.map(\.mountPoint).joined(separator: ", "))"
        }
        // A mount holds the device exclusively too; that one is explained (and maybe allowed).
        if identity.kind == .blockDevice && mounts.isEmpty, let holders = ExclusiveHolders.of(path) {
            return
                "held open exclusively by \(holders) (a running guest's blkback or QEMU, or a device-mapper or RAID layer on it)"
        }
        if let holder = lockHolder(path) {
            return
                "locked by \(holder > 0 ? "process \(holder)" : "another program") (QEMU locks the disks of running VMs)"
        }
        return nil
    }

    /// Holds a write lock over all of the open, writable `fd` (an OFD lock: it lasts until that
    /// descriptor is closed). QEMU then refuses to start a VM on the disk ("Failed to lock byte
    /// 100"): nobody boots a half-written or half-fixed disk by mistake.
    @discardableResult
    public static func holdAgainstVMs(_ fd: Int32) -> Bool {
        var lock = wholeFileWriteLock()
        return fcntl(fd, setOpenFileLock, &lock) == 0
    }

    /// A write lock over the whole file: to hold, or to ask whether any lock stands in its way.
    private static func wholeFileWriteLock() -> flock {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        return lock
    }

    /// F_OFD_GETLK and F_OFD_SETLK, which glibc hides behind _GNU_SOURCE (the same on every
    /// Linux architecture).
    private static let getOpenFileLock: Int32 = 36
    private static let setOpenFileLock: Int32 = 37

    /// Whether another open file holds a lock on the file (QEMU's image locking uses OFD
    /// byte-range locks): the holder's pid for a classic lock, -1 for an OFD lock; nil for none.
    /// Asking for a write lock over the whole file finds a lock of any kind anywhere.
    static func lockHolder(_ path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var lock = wholeFileWriteLock()
        guard fcntl(fd, getOpenFileLock, &lock) == 0, lock.l_type != Int16(F_UNLCK) else { return nil }
        return lock.l_pid
    }
}
