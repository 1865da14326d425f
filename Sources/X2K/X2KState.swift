import Conversion
import FoundationEssentials
import HostSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What an x2k transfer has done, kept next to its target (written atomically at every
/// checkpoint): enough for the next run to go on from the last checkpoint when the source and
/// the plan are unchanged, and to know the target is this transfer's own.
struct X2KState: Codable, Sendable {
    var format = 1
    /// The ssh:// source.
    var source: String
    /// The options the plan was made from, as given (a change means a new plan).
    var options: String
    var fingerprint: String
    var plan: ConversionPlan
    /// The target read as zeros before the transfer (a new file xen2kvm created).
    var targetWasNew: Bool
    var targetDevice: UInt64
    var targetInode: UInt64
    var targetBorn: UInt64
    /// Filesystem bytes covered, all of it on disk.
    var checkpoint: UInt64
    /// Data bytes before the checkpoint, and in all.
    var dataCheckpointed: UInt64
    var dataTotal: UInt64
    /// Data bytes that came over the link, over every run of this transfer.
    var bytesMoved: UInt64

    /// Where the state of a transfer into `target` lives: beside a file; for a block device
    /// (whose directory, /dev, forgets at boot) under /var/lib/xen2kvm/x2k.
    static func path(for target: String) -> String {
        var info = stat()
        let isDevice = stat(target, &info) == 0 && info.st_mode & S_IFMT == S_IFBLK
        if isDevice || target.hasPrefix("/dev/") {
            let name = target.split(separator: "/").joined(separator: "_")
            return "/var/lib/xen2kvm/x2k/\(name).state"
        }
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        return "\(directory.isEmpty ? "/" : directory)/.\(name).x2k-state"
    }

    static func load(for target: String) -> X2KState? {
        let path = path(for: target)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(X2KState.self, from: data)
    }

    /// Whether `target` is still the file or device this state was written for.
    func names(_ target: String) -> Bool {
        guard let identity = FileIdentity.of(target) else { return false }
        return identity.isSameFile(as: FileIdentity(device: targetDevice, inode: targetInode, born: targetBorn))
    }

    mutating func recordTarget(_ target: String) {
        let identity = FileIdentity.of(target)
        targetDevice = identity?.device ?? 0
        targetInode = identity?.inode ?? 0
        targetBorn = identity?.born ?? 0
    }

    /// Written to a temporary file, synced, renamed over the old state, and the directory synced.
    func save(for target: String) throws(ConversionError) {
        let path = Self.path(for: target)
        let directory = String(path[..<path.lastIndex(of: "/")!])
        let temporary = path + ".new"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let data = try JSONEncoder().encode(self)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Errno(rawValue: errno) }
            defer { close(fd) }
            let wrote = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard wrote == data.count, fsync(fd) == 0 else { throw Errno(rawValue: errno) }
            guard rename(temporary, path) == 0 else { throw Errno(rawValue: errno) }
            let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dir >= 0 {
                fsync(dir)
                close(dir)
            }
        } catch {
            throw .failed("cannot record the transfer's checkpoint in \(path): \(error)")
        }
    }

    static func remove(for target: String) {
        unlink(path(for: target))
    }
}
