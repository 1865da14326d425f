#if canImport(Glibc)
    import Glibc
#endif

/// Whether something on this host holds a block device open exclusively without mounting it:
/// a running Xen guest's blkback, a QEMU, a device-mapper or md layer built on top of it. Such a
/// disk is live, and a copy of it is not consistent, whatever its superblock says.
public enum ExclusiveHolders {
    /// nil when `path` (a block device) can be opened exclusively, that is, nothing holds it;
    /// otherwise what is known of the holders: the kernel's holders/ entries (dm-3, md0), or
    /// "another program" for a process (blkback, QEMU) the kernel does not name.
    public static func of(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC)
        if fd >= 0 {
            close(fd)
            return nil
        }
        guard errno == EBUSY else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { return "another program" }
        let names = HostFiles.names(in: "\(DeviceNumber.sysfs(UInt64(info.st_rdev)))/holders").sorted()
        return names.isEmpty ? "another program" : names.joined(separator: ", ")
    }
}
