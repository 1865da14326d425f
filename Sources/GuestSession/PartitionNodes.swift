import CLinuxIO
import HostSystem
import PartitionTable
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A partition of the session's disk, as the host sees it.
public struct SessionPartition: Sendable {
    public var number: Int
    /// /dev/loopNpM on the host.
    public var device: String
    public var rdev: UInt64
    public var startBytes: UInt64
    public var lengthBytes: UInt64
}

/// Adds the disk's partitions to its loop device with BLKPG (what `partx -a` does): this
/// kernel has no partition-table parser for loop devices, so `losetup -P` makes no nodes.
enum PartitionNodes {
    static func add(to loopDevice: String, table: DetectedTable) throws(GuestSessionError) -> [SessionPartition] {
        let fd = open(loopDevice, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .setup("cannot open \(loopDevice): \(Errno(rawValue: errno))") }
        defer { close(fd) }
        // The device was just attached: partitions it shows are an earlier user's, left when
        // that loop device was detached with its partitions still in use (the kernel keeps
        // them). Their offsets are not ours: delete them, or stop if they are still busy.
        let loopName = String(loopDevice.split(separator: "/").last ?? "")
        LoopDevices.deletePartitions(LoopDevices.partitions(on: loopName), from: loopDevice)
        let stale = LoopDevices.partitions(on: loopName)
        guard stale.isEmpty else {
            throw .setup(
                "\(loopDevice) still carries partitions of an earlier user (\(stale.map { "\(loopName)p\($0)" })) "
                    + "that are in use: unmount them (findmnt) and run again")
        }
        var added: [SessionPartition] = []
        for partition in table.partitions where partition.sectorCount > 0 {
            let start = Int64(partition.startSector * 512)
            let length = Int64(partition.sectorCount * 512)
            if xen2kvm_blkpg_add_partition(fd, Int32(partition.index), start, length) != 0 {
                throw .setup("cannot add partition \(partition.index) to \(loopDevice): \(Errno(rawValue: errno))")
            }
            let name = "\(loopDevice.split(separator: "/").last!)p\(partition.index)"
            guard let devText = HostFiles.value("/sys/class/block/\(name)/dev"),
                let rdev = LoopDevices.parseDevNumber(devText)
            else { throw .setup("the kernel shows no \(name) after adding it") }
            let node = "/dev/\(name)"
            // devtmpfs makes the node; without it (or udev), make it ourselves.
            if access(node, F_OK) != 0 { _ = mknod(node, S_IFBLK | 0o600, dev_t(rdev)) }
            added.append(
                SessionPartition(
                    number: partition.index, device: node, rdev: rdev, startBytes: UInt64(start),
                    lengthBytes: UInt64(length)))
        }
        return added
    }
}
