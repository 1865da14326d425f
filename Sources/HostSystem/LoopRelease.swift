import CLinuxIO

#if canImport(Glibc)
    import Glibc
#endif

extension LoopDevices {
    /// Detaches `loop` while it still backs the file `backing`; true when it no longer does
    /// (detached now, or detached and reused by someone else before: then it is not ours).
    public static func release(_ loop: String, ifBacking backing: FileIdentity) -> Bool {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        guard xen2kvm_loop_backing(loop, &device, &inode) == 0,
            FileIdentity(device: device, inode: inode).isSameFile(as: backing)
        else { return true }
        return release(loop)
    }

    /// Deletes the partitions and detaches the loop device, waiting up to 5 s for a device
    /// that is still busy (a just-unmounted filesystem, a closing prober). True when gone.
    public static func release(_ loop: String) -> Bool {
        let name = loop.split(separator: "/").last.map(String.init) ?? loop
        for attempt in 0..<50 {
            // Partitions first: the kernel keeps those of a detached loop device. When one
            // stays busy (a lazily unmounted filesystem), detach anyway at the end: the device
            // goes at its last close, and the next run deletes what it left.
            deletePartitions(partitions(on: name), from: loop)
            let partitionsGone = partitions(on: name).isEmpty
            if partitionsGone || attempt == 49 { _ = detach(loop) }
            if HostFiles.value("/sys/block/\(name)/loop/backing_file") == nil { return partitionsGone }
            usleep(100_000)
        }
        return false
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
    static func detach(_ device: String) -> Bool {
        let fd = open(device, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let loopClearFD: UInt = 0x4C01
        return ioctl(fd, loopClearFD, 0) == 0
    }
}
