#if canImport(Glibc)
    import Glibc
#endif

/// Loop devices and mounts the rsync method takes, released in reverse order on every
/// path (success, error, SIGINT/SIGTERM) by `release()`.
public final class LoopMounts {
    public init() {}

    var devices: [String] = []
    private var mountPoints: [String] = []
    private var directories: [String] = []

    /// Attaches `path` (from `offset`, `length` bytes) to a free loop device.
    public func attach(_ path: String, offset: UInt64 = 0, length: UInt64? = nil, readOnly: Bool)
        async throws(HostError)
        -> String
    {
        var arguments = ["--find", "--show", "--offset", "\(offset)"]
        if let length { arguments += ["--sizelimit", "\(length)"] }
        if readOnly { arguments.append("--read-only") }
        let result = try await HostTool.run("losetup", arguments + [path], package: "mount")
        let device = result.tail.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, device.hasPrefix("/dev/loop") else {
            throw .failed("cannot attach \(path) to a loop device (are you root?):\n\(result.tail)")
        }
        devices.append(device)
        return device
    }

    /// Attaches without tracking: the caller detaches (a guest session records the device in
    /// its own state so a later run can release it).
    public static func attachUnmanaged(_ path: String, readOnly: Bool) async throws(HostError) -> String {
        let loops = LoopMounts()
        let device = try await loops.attach(path, readOnly: readOnly)
        loops.devices.removeAll()
        return device
    }

    /// Mounts `device` on a new temporary directory and returns it.
    public func mount(_ device: String, options: String, label: String) async throws(HostError) -> String {
        var template = Array("/tmp/xen2kvm-\(label).XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .failed("cannot create a mount point in /tmp")
        }
        let directory = String(cString: made)
        directories.append(directory)
        let result = try await HostTool.run("mount", ["-o", options, device, directory], package: "mount")
        guard result.status == 0 else {
            throw .failed("cannot mount \(device) on \(directory):\n\(result.tail)")
        }
        mountPoints.append(directory)
        return directory
    }

    /// Unmounts, detaches and removes everything taken, newest first. Never throws: each
    /// step is tried, and what could not be released is returned for the message.
    @discardableResult
    public func release() -> [String] {
        var leftovers: [String] = []
        for point in mountPoints.reversed() where !LoopMounts.unmount(point) {
            leftovers.append("mount \(point)")
        }
        mountPoints.removeAll()
        for device in devices.reversed() where !LoopMounts.detach(device) {
            leftovers.append("loop device \(device)")
        }
        devices.removeAll()
        for directory in directories.reversed() { _ = rmdir(directory) }
        directories.removeAll()
        if !leftovers.isEmpty { Log.warning("could not release \(leftovers.joined(separator: ", "))") }
        return leftovers
    }

    /// Unmounts, waiting up to 10 s for processes that are still closing files there (a
    /// killed rsync's children); a lazy unmount would leave the loop device busy.
    public static func unmount(_ point: String) -> Bool {
        for _ in 0..<100 {
            if umount2(point, 0) == 0 { return true }
            guard errno == EBUSY else { return false }
            usleep(100_000)
        }
        return umount2(point, Int32(MNT_DETACH)) == 0
    }

    /// LOOP_CLR_FD through losetup's own ioctl number, without an async hop (used on
    /// cleanup paths).
    public static func detach(_ device: String) -> Bool {
        let fd = open(device, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let loopClearFD: UInt = 0x4C01
        return ioctl(fd, loopClearFD, 0) == 0
    }

    deinit { release() }
}
