import Foundation

/// A blkio cgroup that caps how fast its processes read from the disk holding a file.
///
/// Interrupt tests signal xen2kvm once it says it is copying. On a fast disk the whole copy can
/// finish before a busy test runner has even read that line, and the signal then lands on a
/// finished run. Reading the source at a fixed, slow rate makes "mid-copy" a fact, not a race.
public final class ReadThrottle: Sendable {
    /// The cgroup directory, or nil where this host has no cgroup-v1 blkio throttling.
    public let directory: String?

    /// Caps reads from the whole disk under `file` at `bytesPerSecond`.
    public init(file: String, bytesPerSecond: Int) {
        directory = Self.make(file: file, bytesPerSecond: bytesPerSecond)
    }

    /// The command line that runs `executable` with `arguments` inside the cgroup (its pid is
    /// the executable's: `exec`, so signals sent to it reach the program itself).
    public func wrap(_ executable: String, _ arguments: [String]) -> (String, [String]) {
        guard let directory else { return (executable, arguments) }
        let script = "echo $$ > '\(directory)/cgroup.procs' && exec \"$0\" \"$@\""
        return ("/bin/sh", ["-c", script, executable] + arguments)
    }

    deinit {
        guard let directory else { return }
        // An empty cgroup is removed with rmdir. A child the program started may still be on
        // its way out: move what is left to the root group, then remove this one.
        for _ in 0..<50 {
            if rmdir(directory) == 0 || errno == ENOENT { return }
            let left = (try? String(contentsOfFile: "\(directory)/cgroup.procs", encoding: .utf8)) ?? ""
            for pid in left.split(whereSeparator: \.isNewline) {
                try? "\(pid)\n".write(toFile: "\(Self.root)/cgroup.procs", atomically: false, encoding: .utf8)
            }
            usleep(20_000)
        }
    }

    static let root = "/sys/fs/cgroup/blkio"

    private static func make(file: String, bytesPerSecond: Int) -> String? {
        guard let disk = wholeDisk(of: file),
            FileManager.default.fileExists(atPath: "\(Self.root)/blkio.throttle.read_bps_device")
        else { return nil }
        let directory = "\(Self.root)/xen2kvm-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        guard mkdir(directory, 0o755) == 0 else { return nil }
        do {
            try "\(disk) \(bytesPerSecond)\n".write(
                toFile: "\(directory)/blkio.throttle.read_bps_device", atomically: false, encoding: .utf8)
        } catch {
            rmdir(directory)
            return nil
        }
        return directory
    }

    /// "major:minor" of the disk (not the partition) that holds `file`: throttles apply to disks.
    private static func wholeDisk(of file: String) -> String? {
        var info = stat()
        guard stat(file, &info) == 0 else { return nil }
        // glibc's encoding of dev_t (what major(3) and minor(3) undo).
        let dev = UInt64(info.st_dev)
        let major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & 0xFFFF_F000)
        let minor = (dev & 0xFF) | ((dev >> 12) & 0xFFFF_FF00)
        let node = "/sys/dev/block/\(major):\(minor)"
        let isPartition = FileManager.default.fileExists(atPath: "\(node)/partition")
        let devFile = isPartition ? "\(node)/../dev" : "\(node)/dev"
        guard let text = try? String(contentsOfFile: devFile, encoding: .utf8) else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
