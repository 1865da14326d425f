import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Small host files: sysfs and procfs values, mountinfo, console logs.
public enum HostFiles {
    /// The running binary's path (/proc/self/exe): where xen2kvm finds what it installed beside
    /// itself, and the binary its contained parser runs as.
    public static var ownExecutable: String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The whole file as text, or nil when it cannot be opened.
    public static func read(_ path: String) -> String? {
        guard let fd = try? FileDescriptor.open(FilePath(path), .readOnly) else { return nil }
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = (try? buffer.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
            if count <= 0 { break }
            bytes += buffer.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The entry names of a directory (sysfs, /run state), without "." and "..", unsorted;
    /// empty when it cannot be opened.
    public static func names(in directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A one-value file ("7:0\n", a backing file path) without its surrounding blanks.
    public static func value(_ path: String) -> String? {
        guard let text = read(path) else { return nil }
        let trimmed = text.drop { $0 == " " || $0 == "\n" }
        return String(trimmed.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
    }
}

/// Device numbers as st_dev / st_rdev encode them (glibc's makedev).
public enum DeviceNumber {
    public static func make(major: UInt32, minor: UInt32) -> UInt64 {
        let (major, minor) = (UInt64(major), UInt64(minor))
        return ((major & 0xFFFF_F000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0xFF)
    }

    /// glibc's major()/minor() are macros Swift cannot call: the same bit layout by hand.
    public static func split(_ rdev: UInt64) -> (major: UInt64, minor: UInt64) {
        ((rdev >> 8) & 0xfff | (rdev >> 32) & ~0xfff, rdev & 0xff | (rdev >> 12) & ~0xff)
    }

    /// The sysfs directory of a block device ("/sys/dev/block/7:0").
    public static func sysfs(_ rdev: UInt64) -> String {
        let (major, minor) = split(rdev)
        return "/sys/dev/block/\(major):\(minor)"
    }

    /// The whole disk a partition belongs to (loop0 for loop0p1); nil for a whole disk.
    public static func disk(ofPartition rdev: UInt64) -> UInt64? {
        let directory = sysfs(rdev)
        guard HostFiles.read("\(directory)/partition") != nil,
            let text = HostFiles.read("\(directory)/../dev")?.split(separator: "\n").first
        else { return nil }
        return LoopDevices.parseDevNumber(String(text))
    }
}

extension Duration {
    /// The duration as a number of seconds, for reports.
    public var inSeconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
