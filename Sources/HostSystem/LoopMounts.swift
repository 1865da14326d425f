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
        async throws(HostError)
        -> String
    {
        let device = try await Self.attachDevice(path, offset: offset, length: length, readOnly: readOnly)
        if let backing = LoopDevices.backing(device) { hold(.loop(device, backing: backing)) }
        return device
    }

    /// Attaches without keeping it here: the caller releases the device (a guest session keeps
    /// it in its own record).
    public static func attachDevice(_ path: String, offset: UInt64 = 0, length: UInt64? = nil, readOnly: Bool)
        async throws(HostError) -> String
    {
        var arguments = ["--find", "--show", "--offset", "\(offset)"]
        if let length { arguments += ["--sizelimit", "\(length)"] }
        if readOnly { arguments.append("--read-only") }
        let result = try await HostTool.run("losetup", arguments + [path], package: "mount")
        let device = result.tail.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, device.hasPrefix("/dev/loop") else {
            throw .failed("cannot attach \(path) to a loop device (are you root?):\n\(result.tail)")
        }
        return device
    }

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
        for _ in 0..<100 {
            if umount2(point, 0) == 0 || errno == EINVAL || errno == ENOENT { return true }
            guard errno == EBUSY else { return false }
            usleep(100_000)
        }
        return umount2(point, Int32(MNT_DETACH)) == 0
    }

    deinit { release() }
}
