import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The /dev a guest program sees: a tmpfs with the basic character devices, devpts, shm, and
/// the disk under the name it will have under KVM (vda, vda1 …, plus /dev/disk/by-uuid links)
/// — so grub-probe, grub-mkconfig and grub legacy see sane device names and no /dev/loopNpM
/// ever lands in a guest file. Nothing else: the guest's programs can reach no other device.
/// The disk nodes belong to the guest's root (`diskOwner`, a host id of its user namespace),
/// so a contained grub-install can write the boot sector.
enum PrivateDev {
    static let characterDevices: [(name: String, major: UInt32, minor: UInt32, mode: mode_t)] = [
        ("null", 1, 3, 0o666), ("zero", 1, 5, 0o666), ("full", 1, 7, 0o666), ("random", 1, 8, 0o666),
        ("urandom", 1, 9, 0o666), ("tty", 5, 0, 0o666),
    ]

    /// Mounts a tmpfs at `dev` and fills it. The mounts are recorded in `mounts` for teardown.
    static func build(
        at dev: String, diskRdev: UInt64, partitions: [SessionPartition], filesystemUUID: String?,
        diskOwner: UInt32, mounts: inout [String]
    ) throws(GuestSessionError) {
        _ = mkdir(dev, 0o755)
        try mountOrThrow("tmpfs", dev, type: "tmpfs", options: "mode=0755,size=16m", flags: UInt(MS_NOSUID | MS_NOEXEC))
        mounts.append(dev)
        for node in characterDevices {
            try makeNode(
                "\(dev)/\(node.name)", S_IFCHR | node.mode,
                dev_t(DeviceNumber.make(major: node.major, minor: node.minor)))
        }
        _ = mkdir("\(dev)/pts", 0o755)
        try mountOrThrow("devpts", "\(dev)/pts", type: "devpts", options: "newinstance,ptmxmode=0666,mode=0620")
        mounts.append("\(dev)/pts")
        _ = symlink("pts/ptmx", "\(dev)/ptmx")
        _ = mkdir("\(dev)/shm", 0o1777)
        _ = chmod("\(dev)/shm", 0o1777)
        try makeNode("\(dev)/vda", S_IFBLK | 0o660, dev_t(diskRdev), owner: diskOwner)
        for partition in partitions {
            try makeNode("\(dev)/vda\(partition.number)", S_IFBLK | 0o660, dev_t(partition.rdev), owner: diskOwner)
        }
        if let uuid = filesystemUUID, !uuid.isEmpty, partitions.contains(where: { $0.number == 1 }) {
            _ = mkdir("\(dev)/disk", 0o755)
            _ = mkdir("\(dev)/disk/by-uuid", 0o755)
            _ = symlink("../../vda1", "\(dev)/disk/by-uuid/\(uuid)")
        }
        _ = symlink("/proc/self/fd", "\(dev)/fd")
    }

    static func makeNode(_ path: String, _ mode: mode_t, _ device: dev_t, owner: UInt32? = nil)
        throws(GuestSessionError)
    {
        // chmod as well: mknod's mode passes through the umask, and the guest's root is no
        // host root that could ignore a missing permission bit.
        guard mknod(path, mode, device) == 0, chmod(path, mode & 0o7777) == 0,
            owner.map({ chown(path, $0, $0) == 0 }) ?? true
        else {
            throw .setup("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func mountOrThrow(_ source: String, _ target: String, type: String, options: String?, flags: UInt = 0)
        throws(GuestSessionError)
    {
        guard Glibc.mount(source, target, type, flags, options) == 0 else {
            throw .setup("cannot mount \(type) on \(target): \(String(cString: strerror(errno)))")
        }
    }
}
