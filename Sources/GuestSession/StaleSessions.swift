import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Sessions leave a record (/run/xen2kvm/<pid>/loop) so that one killed with SIGKILL is
/// cleaned up by the next: its mounts are unmounted, its loop device's partitions deleted
/// and the device detached.
enum StaleSessions {
    static func record(loopDevice: String, in directory: String) {
        let path = "\(directory)/loop"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        _ = loopDevice.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    static func forget(_ directory: String) {
        _ = unlink("\(directory)/loop")
        _ = rmdir("\(directory)/root")
        _ = rmdir("\(directory)/dev")
        _ = rmdir(directory)
    }

    /// Releases what sessions of processes that no longer run left behind.
    static func clean() {
        guard let stream = opendir(GuestSession.stateDirectory) else { return }
        var stale: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name.split(separator: "-").first ?? ""), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            stale.append("\(GuestSession.stateDirectory)/\(name)")
        }
        closedir(stream)
        for directory in stale { release(directory) }
    }

    static func release(_ directory: String) {
        let points = Mounts.all().map(\.mountPoint).filter { $0.hasPrefix(directory + "/") }
        for point in points.sorted(by: { $0.count > $1.count }) { _ = LoopMounts.unmount(point) }
        if let loop = HostFiles.value("\(directory)/loop"), loop.hasPrefix("/dev/loop") {
            _ = releaseLoop(loop, partitions: Array(1...8))
        }
        forget(directory)
    }

    /// Deletes the partitions and detaches the loop device, waiting up to 5 s for a device
    /// that is still busy (a just-unmounted filesystem, a closing prober). True when gone.
    static func releaseLoop(_ loop: String, partitions: [Int]) -> Bool {
        let name = loop.split(separator: "/").last.map(String.init) ?? loop
        for _ in 0..<50 {
            PartitionNodes.remove(from: loop, numbers: partitions)
            _ = LoopMounts.detach(loop)
            if HostFiles.value("/sys/block/\(name)/loop/backing_file") == nil { return true }
            usleep(100_000)
        }
        return false
    }
}
