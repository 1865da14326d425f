import CLinuxIO
import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Sessions leave a record (/run/xen2kvm/<pid>-<n>/loop) so that one killed with SIGKILL is
/// cleaned up by the next: its mounts are unmounted, its loop device's partitions deleted
/// and the device detached.
enum StaleSessions {
    /// Records the loop device and the identity (device, inode) of the file behind it: a
    /// later run detaches the device only while it still backs that file, never a device that
    /// was freed and reused by someone else meanwhile.
    static func record(loopDevice: String, disk: String, in directory: String) {
        var info = stat()
        let identity = stat(disk, &info) == 0 ? "\(info.st_dev) \(info.st_ino)" : ""
        let path = "\(directory)/loop"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let text = "\(loopDevice)\n\(identity)\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Whether `loop` is still attached to the file recorded as `identity` ("dev inode").
    static func stillBacks(_ loop: String, identity: Substring) -> Bool {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        guard xen2kvm_loop_backing(loop, &device, &inode) == 0 else { return false }
        return identity == "\(device) \(inode)"
    }

    static func forget(_ directory: String) {
        _ = unlink("\(directory)/loop")
        _ = unlink("\(directory)/lock")
        _ = rmdir("\(directory)/root")
        _ = rmdir("\(directory)/dev")
        _ = rmdir(directory)
    }

    /// Releases what dead sessions left behind, then makes this session's directory and takes
    /// its lock (held until `close`), under one cleaner lock: two runs releasing the same
    /// record could otherwise both detach its loop device, the second after it was reused.
    static func cleanAndClaim() -> (directory: String, lock: Int32) {
        let cleaner = open("\(GuestSession.stateDirectory)/.clean.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { if cleaner >= 0 { close(cleaner) } }
        if cleaner >= 0 { _ = flock(cleaner, LOCK_EX) }
        clean()
        let directory = makeDirectory()
        let lock = open("\(directory)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if lock >= 0 { _ = flock(lock, LOCK_EX) }
        return (directory, lock)
    }

    /// A session is alive while its process holds the flock on <directory>/lock: that holds
    /// across pid namespaces (where a pid check would see a live owner as dead) and ends with
    /// the process, kill -9 included. Records without a lock file fall back to the pid.
    private static func clean() {
        for name in HostFiles.names(in: GuestSession.stateDirectory) where !name.hasPrefix(".") {
            let directory = "\(GuestSession.stateDirectory)/\(name)"
            let lock = open("\(directory)/lock", O_RDWR | O_CLOEXEC)
            if lock >= 0 {
                defer { close(lock) }
                if flock(lock, LOCK_EX | LOCK_NB) == 0 { release(directory) }
            } else if let pid = Int32(name.split(separator: "-").first ?? ""), kill(pid, 0) != 0, errno == ESRCH {
                release(directory)
            }
        }
    }

    /// <pid>-<n>: unique per session (one process may hold several).
    private static func makeDirectory() -> String {
        var number = 0
        while true {
            let candidate = "\(GuestSession.stateDirectory)/\(getpid())-\(number)"
            if mkdir(candidate, 0o700) == 0 || number > 10_000 { return candidate }
            number += 1
        }
    }

    static func release(_ directory: String) {
        let points = Mounts.all().map(\.mountPoint).filter { $0.hasPrefix(directory + "/") }
        for point in points.sorted(by: { $0.count > $1.count }) { _ = LoopMounts.unmount(point) }
        let record = (HostFiles.read("\(directory)/loop") ?? "").split(separator: "\n")
        if let loop = record.first.map(String.init), loop.hasPrefix("/dev/loop"), record.count > 1,
            stillBacks(loop, identity: record[1])
        {
            _ = releaseLoop(loop, partitions: Array(1...8))
        }
        forget(directory)
    }

    /// Deletes the partitions and detaches the loop device, waiting up to 5 s for a device
    /// that is still busy (a just-unmounted filesystem, a closing prober). True when gone.
    static func releaseLoop(_ loop: String, partitions: [Int]) -> Bool {
        let name = loop.split(separator: "/").last.map(String.init) ?? loop
        for attempt in 0..<50 {
            // Partitions first: the kernel keeps those of a detached loop device. When one
            // stays busy (a lazily unmounted filesystem), detach anyway at the end: the device
            // goes at its last close, and the next session deletes what it left.
            PartitionNodes.remove(from: loop, numbers: Array(Set(partitions + PartitionNodes.existing(on: name))))
            let partitionsGone = PartitionNodes.existing(on: name).isEmpty
            if partitionsGone || attempt == 49 { _ = LoopMounts.detach(loop) }
            if HostFiles.value("/sys/block/\(name)/loop/backing_file") == nil { return partitionsGone }
            usleep(100_000)
        }
        return false
    }
}
