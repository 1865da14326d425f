import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What a path is on the host: a file or block device, identified by device and inode, so
/// that two names for the same data (symlinks, loop devices) are recognised as one.
public struct DiskIdentity: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case missing, file, blockDevice, other
    }

    public var path: String
    public var kind: Kind
    /// st_dev/st_ino of the file, or st_rdev of the block device.
    public var device: UInt64
    public var inode: UInt64
    public var rdev: UInt64
    public var sizeBytes: UInt64

    public static func of(_ path: String) -> DiskIdentity {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return DiskIdentity(path: path, kind: .missing, device: 0, inode: 0, rdev: 0, sizeBytes: 0)
        }
        let type = info.st_mode & S_IFMT
        let kind: Kind = type == S_IFREG ? .file : type == S_IFBLK ? .blockDevice : .other
        var size = UInt64(info.st_size)
        if kind == .blockDevice, let fd = try? FileDescriptor.open(FilePath(path), .readOnly) {
            size = UInt64((try? fd.seek(offset: 0, from: .end)) ?? 0)
            try? fd.close()
        }
        return DiskIdentity(
            path: path, kind: kind, device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            rdev: UInt64(info.st_rdev), sizeBytes: size)
    }

    /// True when both names reach the same bytes: same file, same block device, or a loop
    /// device backed by the other file.
    public func isSameData(as other: DiskIdentity) -> Bool {
        if kind == .file && other.kind == .file { return device == other.device && inode == other.inode }
        if kind == .blockDevice && other.kind == .blockDevice { return rdev == other.rdev }
        let (file, block) = kind == .file ? (self, other) : (other, self)
        guard file.kind == .file, block.kind == .blockDevice else { return false }
        return LoopDevices.backingFile(of: block.rdev).map { $0.device == file.device && $0.inode == file.inode }
            ?? false
    }
}

/// Loop devices and what backs them, read from /sys/block/loopN.
public enum LoopDevices {
    /// (major:minor, backing st_dev, st_ino) for every attached loop device.
    public static func attached() -> [(rdev: UInt64, device: UInt64, inode: UInt64)] {
        var result: [(UInt64, UInt64, UInt64)] = []
        for name in HostFiles.names(in: "/sys/block") where name.hasPrefix("loop") {
            guard let devText = HostFiles.value("/sys/block/\(name)/dev"),
                let backing = HostFiles.value("/sys/block/\(name)/loop/backing_file")
            else { continue }
            var info = stat()
            guard stat(backing, &info) == 0, let rdev = parseDevNumber(devText) else { continue }
            result.append((rdev, UInt64(info.st_dev), UInt64(info.st_ino)))
        }
        return result
    }

    public static func backingFile(of rdev: UInt64) -> (device: UInt64, inode: UInt64)? {
        attached().first { $0.rdev == rdev }.map { ($0.device, $0.inode) }
    }

    /// "7:0" → makedev(7, 0).
    public static func parseDevNumber(_ text: String) -> UInt64? {
        let parts = text.split(separator: ":").compactMap { UInt32($0) }
        guard parts.count == 2 else { return nil }
        return DeviceNumber.make(major: parts[0], minor: parts[1])
    }
}

/// Mounts from /proc/self/mountinfo, to refuse a source that is in use read-write.
public enum Mounts {
    public struct Mount: Sendable {
        public var rdev: UInt64
        public var mountPoint: String
        public var readWrite: Bool
        /// The filesystem type (after the " - " separator).
        public var type: String?
    }

    public static func all() -> [Mount] {
        guard let text = HostFiles.read("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 5, let rdev = LoopDevices.parseDevNumber(String(fields[2])) else { return nil }
            let options = fields[5].split(separator: ",")
            let type = fields.firstIndex(of: "-").flatMap { $0 + 1 < fields.count ? String(fields[$0 + 1]) : nil }
            return Mount(rdev: rdev, mountPoint: String(fields[4]), readWrite: options.contains("rw"), type: type)
        }
    }

    /// Mounts of the data behind `identity`: the block device itself, or any loop device over
    /// the same file (for a loop device given as the identity: over its backing file), or a
    /// partition of one of those (loop0p1 of a converted disk).
    public static func using(_ identity: DiskIdentity) -> [Mount] {
        var devices: Set<UInt64> = []
        var backing: (device: UInt64, inode: UInt64)?
        switch identity.kind {
        case .blockDevice:
            devices.insert(identity.rdev)
            backing = LoopDevices.backingFile(of: identity.rdev)
        case .file:
            backing = (identity.device, identity.inode)
        default:
            break
        }
        if let backing {
            for loop in LoopDevices.attached() where loop.device == backing.device && loop.inode == backing.inode {
                devices.insert(loop.rdev)
            }
        }
        return all().filter {
            devices.contains($0.rdev) || DeviceNumber.disk(ofPartition: $0.rdev).map(devices.contains) == true
        }
    }
}
