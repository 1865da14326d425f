import CLinuxIO

#if canImport(Glibc)
    import Glibc
#endif

/// Loop devices and mounts a conversion step takes (the rsync method, mkswap, an offset e2fsck),
/// recorded in the run's record as they are taken (a run killed meanwhile is cleaned up by the
/// next) and released in reverse order on every path (success, error, SIGINT/SIGTERM) by
/// `release()`.
public final class LoopMounts {
    private let record: RunRecord?
    /// What this instance took (also in `record`, when there is one), oldest first.
    private var held: [RunRecord.Holding] = []

    public init(record: RunRecord? = RunRecord.current) { self.record = record }

    private func hold(_ holding: RunRecord.Holding) {
        held.append(holding)
        record?.hold(holding)
    }

    /// Attaches `path` (from `offset`, `length` bytes) to a free loop device.
    public func attach(_ path: String, offset: UInt64 = 0, length: UInt64? = nil, readOnly: Bool)
        throws(HostError) -> String
    {
        let (device, holding) = try Self.attachDevice(
            path, offset: offset, length: length, readOnly: readOnly, into: record)
        held.append(holding)
        return device
    }

    /// Attaches `path` to a free loop device (the ioctls losetup uses), recorded in `record`
    /// *before* it is attached: a run killed at any moment leaves no loop device unrecorded.
    /// The caller releases it (a guest session keeps it in its own record).
    public static func attachDevice(
        _ path: String, offset: UInt64 = 0, length: UInt64? = nil, readOnly: Bool, into record: RunRecord?
    ) throws(HostError) -> (device: String, holding: RunRecord.Holding) {
        let fd = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("cannot open \(path) for a loop device: \(Self.reason())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .failed("cannot stat \(path): \(Self.reason())") }
        let backing = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        for _ in 0..<100 {
            let number = xen2kvm_loop_free_number()
            guard number >= 0 else {
                throw .failed("cannot attach \(path) to a loop device (are you root?): \(Self.reason())")
            }
            let device = "/dev/loop\(number)"
            Self.makeNode(device, name: "loop\(number)")
            let holding = RunRecord.Holding.loop(device, backing: backing)
            record?.hold(holding)
            if xen2kvm_loop_configure(device, fd, offset, length ?? 0, readOnly ? 1 : 0) == 0 {
                let size = length.map { ", \($0) bytes" } ?? ""
                Log.info("attached \(path) to \(device) (offset \(offset)\(size)\(readOnly ? ", read-only" : ""))")
                return (device, holding)
            }
            let error = errno
            record?.drop(holding)
            // Taken by another program between the two calls: ask for another.
            guard error == EBUSY else {
                throw .failed("cannot attach \(path) to \(device): \(String(cString: strerror(error)))")
            }
        }
        throw .failed("cannot attach \(path) to a loop device: every free one was taken first")
    }

    /// devtmpfs makes the node of a new loop device; without it, make it from sysfs.
    private static func makeNode(_ device: String, name: String) {
        guard access(device, F_OK) != 0,
            let rdev = HostFiles.value("/sys/block/\(name)/dev").flatMap(LoopDevices.parseDevNumber)
        else { return }
        _ = mknod(device, S_IFBLK | 0o660, dev_t(rdev))
    }

    private static func reason() -> String { String(cString: strerror(errno)) }

    /// Mounts `device` on a new temporary directory and returns it.
    public func mount(_ device: String, options: String, label: String) async throws(HostError) -> String {
        var template = Array("/tmp/xen2kvm-\(label).XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .failed("cannot create a mount point in /tmp")
        }
        let directory = String(cString: made)
        if let identity = FileIdentity.of(directory) { hold(.made(directory, identity)) }
        // Recorded before it exists: a run killed while mount runs is unmounted all the same.
        hold(.mount(directory))
        let result = try await HostTool.run("mount", ["-o", options, device, directory], package: "mount")
        guard result.status == 0 else {
            throw .failed("cannot mount \(device) on \(directory):\n\(result.tail)")
        }
        return directory
    }

    /// Unmounts, detaches and removes everything taken, newest first. Never throws: each
    /// step is tried, and what could not be released is returned for the message (and stays
    /// in the run's record for the next run to try again).
    @discardableResult
    public func release() -> [String] {
        let left = record?.release(held) ?? RunRecord.Holding.release(held)
        held.removeAll()
        let leftovers = left.map(\.description)
        if !leftovers.isEmpty { Log.warning("could not release \(leftovers.joined(separator: ", "))") }
        return leftovers
    }

    /// Unmounts, waiting up to 10 s for processes that are still closing files there (a
    /// killed rsync's children); a lazy unmount would leave the loop device busy. True when
    /// `point` is no longer mounted (also when it was not: a mount recorded before it was made).
    public static func unmount(_ point: String) -> Bool {
        // Written to the device first, whatever else still holds the filesystem.
        let fd = open(point, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 {
            _ = xen2kvm_syncfs(fd)
            close(fd)
        }
        for _ in 0..<100 {
            if umount2(point, 0) == 0 || errno == EINVAL || errno == ENOENT { return true }
            guard errno == EBUSY else { return false }
            usleep(100_000)
        }
        return umount2(point, Int32(MNT_DETACH)) == 0
    }

    deinit { release() }
}
