import CLinuxIO

#if canImport(Glibc)
    import Glibc
#endif

extension LoopDevices {
    /// Deletes the partitions of `loop` and detaches it, while it still backs the file
    /// `backing`, waiting up to 5 s for partitions that are still busy (a just-unmounted
    /// filesystem, a closing prober). True when it is released: detached now with no partition
    /// left (a device still open goes at its last close: the kernel's autoclear), or no longer
    /// backing that file.
    /// Detached once only: freed, the device may be another's at once (even over the same file).
    public static func release(_ loop: String, ifBacking backing: FileIdentity) -> Bool {
        let name = loop.split(separator: "/").last.map(String.init) ?? loop
        for attempt in 0..<50 {
            guard let now = self.backing(loop), now.isSameFile(as: backing) else { return true }
            // Partitions first: the kernel keeps those of a detached loop device. When one
            // stays busy (a lazily unmounted filesystem), detach anyway at the end: the device
            // goes at its last close, and the next run deletes what it left.
            deletePartitions(partitions(on: name), from: loop)
            let partitionsGone = partitions(on: name).isEmpty
            if partitionsGone || attempt == 49 {
                waitUntilUnclaimed(loop)
                guard detach(loop) else { return self.backing(loop).map { !$0.isSameFile(as: backing) } ?? true }
                // Gone at once unless still open; waited for a moment, so that what follows
                // finds the file free.
                for _ in 0..<20 where self.backing(loop)?.isSameFile(as: backing) == true { usleep(50_000) }
                return partitionsGone
            }
            usleep(100_000)
        }
        return false
    }

    /// The file behind `loop` as the kernel tells it (device and inode, whatever path, symlink
    /// or not, it was attached by); nil when it is not attached.
    public static func backing(_ loop: String) -> FileIdentity? {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        guard xen2kvm_loop_backing(loop, &device, &inode) == 0 else { return nil }
        return FileIdentity(device: device, inode: inode)
    }

    /// The partition numbers the kernel shows on a loop device (/sys/block/loopN/loopNpM).
    public static func partitions(on loopName: String) -> [Int] {
        HostFiles.names(in: "/sys/block/\(loopName)").compactMap { name in
            name.hasPrefix(loopName + "p") ? Int(name.dropFirst(loopName.count + 1)) : nil
        }.sorted()
    }

    /// Deletes the numbered partitions from the loop device with BLKPG; a busy one stays
    /// (`release` retries).
    public static func deletePartitions(_ numbers: [Int], from loop: String) {
        let fd = open(loop, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        for number in numbers.sorted(by: >) { _ = xen2kvm_blkpg_delete_partition(fd, Int32(number)) }
    }

    /// LOOP_CLR_FD through losetup's own ioctl number, without an async hop (cleanup paths).
    /// A filesystem unmounted here may still be mounted in another mount namespace (a guest
    /// program's, which copied the host's mounts before letting go of them): it goes on
    /// writing until that mount goes too. An exclusive open fails while any filesystem holds
    /// the device (or a partition of it); waited for, up to 5 s, before the file is handed on
    /// (to e2fsck, to the next step), so nobody reads it half-written.
    static func waitUntilUnclaimed(_ device: String) {
        for _ in 0..<100 {
            let fd = open(device, O_RDONLY | O_EXCL | O_CLOEXEC)
            if fd >= 0 {
                close(fd)
                return
            }
            guard errno == EBUSY else { return }
            usleep(50_000)
        }
    }

    static func detach(_ device: String) -> Bool {
        let fd = open(device, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let loopClearFD: UInt = 0x4C01
        return ioctl(fd, loopClearFD, 0) == 0
    }
}
