import CLinuxIO

#if canImport(Glibc)
    import Glibc
#endif

/// A file's (st_dev, st_ino) and birth time: what a path named when it was recorded, so that
/// a later run touches it only while the path (or a loop device) still means the same file.
/// The birth time tells a new file from the removed one whose inode number it got (ext4 and
/// XFS reuse them at once).
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    /// Nanoseconds since the epoch; 0 when unknown (a loop device tells only device and inode).
    public var born: UInt64

    public init(device: UInt64, inode: UInt64, born: UInt64 = 0) {
        self.device = device
        self.inode = inode
        self.born = born
    }

    /// The identity of what `path` names itself (a symlink is not followed); nil if nothing.
    public static func of(_ path: String) -> FileIdentity? {
        var identity = FileIdentity(device: 0, inode: 0)
        guard xen2kvm_file_identity(path, &identity.device, &identity.inode, &identity.born) == 0 else { return nil }
        return identity
    }

    /// The same file: device and inode, and the birth time where both know it.
    public func isSameFile(as other: FileIdentity) -> Bool {
        device == other.device && inode == other.inode && (born == 0 || other.born == 0 || born == other.born)
    }
}

extension RunRecord {
    /// One thing a run holds, with what the next run needs to release it safely.
    public enum Holding: Sendable, Equatable, CustomStringConvertible {
        /// A child process by pid and start time (/proc/PID/stat field 22): killed only while
        /// that pid is still the same process, never a reused one.
        case child(pid: Int32, started: UInt64)
        /// A mount point.
        case mount(String)
        /// A loop device and the file behind it: detached (its partitions deleted first) only
        /// while it still backs that file, never once freed and reused by someone else.
        case loop(String, backing: FileIdentity)
        /// A file or directory the run made and removes unless it keeps it on purpose: a
        /// scratch file, a mount point, a target not finished (a half-made disk is never left
        /// to be mistaken for a good one). Removed only while the path still names it.
        case made(String, FileIdentity)

        public var description: String {
            switch self {
            case .child(let pid, _): return "process \(pid)"
            case .mount(let point): return "mount \(point)"
            case .loop(let device, _): return "loop device \(device)"
            case .made(let path, _): return path
            }
        }

        /// Releases `holdings` in the order that frees each for the next: children (they keep
        /// files open), mounts deepest first, loop devices, then what was made, newest first
        /// (a mount point once it is unmounted). Returns what could not be released.
        static func release(_ holdings: [Holding]) -> [Holding] {
            var left: [Holding] = []
            let children = holdings.compactMap {
                if case .child(let pid, let started) = $0 { (pid, started) } else { nil }
            }
            for child in ChildProcesses.kill(children) { left.append(.child(pid: child.pid, started: child.started)) }
            let points = holdings.compactMap { if case .mount(let point) = $0 { point } else { nil } }
            let deepestFirst = points.enumerated().sorted {
                ($0.element.split(separator: "/").count, $0.offset) > (
                    $1.element.split(separator: "/").count, $1.offset
                )
            }
            for (_, point) in deepestFirst where !LoopMounts.unmount(point) { left.append(.mount(point)) }
            for case .loop(let device, let backing) in holdings.reversed()
            where !LoopDevices.release(device, ifBacking: backing) {
                left.append(.loop(device, backing: backing))
            }
            for case .made(let path, let identity) in holdings.reversed() where !remove(path, ifStill: identity) {
                left.append(.made(path, identity))
            }
            return left
        }

        /// Removes a file or an empty directory while `path` still names it; true when it is gone
        /// (or the path now names something else, which is not ours).
        static func remove(_ path: String, ifStill identity: FileIdentity) -> Bool {
            guard FileIdentity.of(path)?.isSameFile(as: identity) == true else { return true }
            return unlink(path) == 0 || rmdir(path) == 0 || errno == ENOENT
        }

        /// One line of the record: a kind, numbers, then the path (escaped: it may hold blanks).
        var line: String {
            switch self {
            case .child(let pid, let started): return "child \(pid) \(started)"
            case .mount(let point): return "mount \(Self.escape(point))"
            case .loop(let device, let id): return "loop \(id.device) \(id.inode) \(id.born) \(Self.escape(device))"
            case .made(let path, let id): return "made \(id.device) \(id.inode) \(id.born) \(Self.escape(path))"
            }
        }

        init?(line: Substring) {
            let fields = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
            func number(_ index: Int) -> UInt64? { index < fields.count ? UInt64(fields[index]) : nil }
            switch (fields.first, fields.count) {
            case ("child", 3):
                guard let pid = number(1).flatMap({ Int32(exactly: $0) }), let started = number(2) else { return nil }
                self = .child(pid: pid, started: started)
            case ("mount", 2...):
                self = .mount(Self.unescape(line.dropFirst("mount ".count)))
            case ("loop", 5), ("made", 5):
                guard let device = number(1), let inode = number(2), let born = number(3) else { return nil }
                let identity = FileIdentity(device: device, inode: inode, born: born)
                let path = Self.unescape(fields[4])
                self = fields[0] == "loop" ? .loop(path, backing: identity) : .made(path, identity)
            default:
                return nil
            }
        }

        /// A path on one line: backslash and newline written as \\ and \n.
        static func escape(_ path: String) -> String {
            path.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
        }

        static func unescape(_ text: Substring) -> String {
            var out = ""
            var escaped = false
            for character in text {
                if escaped {
                    out.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    out.append(character)
                }
            }
            return out
        }
    }
}
