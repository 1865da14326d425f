import ExtFS
import HostSystem
import PartitionTable
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A converted disk opened for guest work: attached to a loop device, its partitions added
/// with BLKPG, partition 1 mounted, and (for guest programs) a private /dev, /proc and /sys.
///
/// What it takes is recorded in a run record of its own (/run/xen2kvm/<pid>-<n>/, where its
/// mount points are too) and released by `close()` on every path; the next run releases what a
/// killed one left (`RunRecord`).
public final class GuestSession {
    public static let stateDirectory = RunRecord.stateDirectory

    public let disk: String
    public let loopDevice: String
    public let readOnly: Bool
    /// Where partition 1 (the guest's root filesystem) is mounted on the host.
    public let root: String
    public private(set) var partitions: [SessionPartition] = []
    /// The disk's partition table kind.
    public private(set) var partitionTable: TableKind = .mbr
    /// A GPT disk's BIOS boot partition, where grub2-install puts core.img (always true on MBR,
    /// which embeds it before partition 1).
    public private(set) var hasBIOSBootPartition = true
    /// How the guest's programs run (`run`): contained unless trusted.
    public var programs = GuestProgramPolicy()
    /// The kernel's name for partition 1's filesystem type, as it was mounted (ext4, xfs …):
    /// the sandbox mounts it again as the same type.
    public private(set) var rootType = "ext4"
    let directory: String
    /// The session's loop device, partitions and mounts, as the next run would find them.
    private let record: RunRecord
    /// The disk itself, flock'ed while the session lives: a second xen2kvm on the same disk
    /// is refused rather than mounting its filesystem a second time.
    private var diskLock: Int32 = -1
    private var mounts: [String] = []
    private var closed = false

    private init(disk: String, loopDevice: String, readOnly: Bool, record: RunRecord) {
        self.disk = disk
        self.loopDevice = loopDevice
        self.readOnly = readOnly
        self.record = record
        directory = record.directory
        root = "\(directory)/root"
    }

    /// Opens `disk` (an image file or block device with a table xen2kvm can read).
    public static func open(_ disk: String, readOnly: Bool) async throws(GuestSessionError) -> GuestSession {
        guard geteuid() == 0 else { throw .setup("a guest session attaches and mounts the disk: run as root") }
        let table = try readTable(disk)
        // Dead runs' records are released first: a killed run's mounts of this very disk are
        // not a use to refuse.
        guard let record = RunRecord.claim() else { throw .setup("cannot write \(stateDirectory)") }
        let diskLock: Int32
        let loop: String
        do throws(GuestSessionError) {
            diskLock = try claim(disk, readOnly: readOnly)
            do {
                // Recorded as it is attached: if this process dies from here on, the next run
                // cleans up.
                loop = try LoopMounts.attachDevice(disk, readOnly: readOnly, into: record).device
            } catch {
                _ = Glibc.close(diskLock)
                throw GuestSessionError(error)
            }
        } catch {
            record.close()
            throw error
        }
        let session = GuestSession(disk: disk, loopDevice: loop, readOnly: readOnly, record: record)
        session.diskLock = diskLock
        do {
            session.partitions = try PartitionNodes.add(to: loop, table: table)
            session.partitionTable = table.kind
            session.hasBIOSBootPartition =
                table.kind != .gpt || table.partitions.contains { $0.typeGUID == PartitionTable.biosBootType }
            try await session.mountRoot()
            return session
        } catch {
            session.close()
            throw error
        }
    }

    /// Refuses a disk in use, and locks it for the session: against other xen2kvm runs (flock)
    /// and, when writable, against VMs (QEMU will not start on it). The guest's filesystem is
    /// mounted read-write, and a second mount of it anywhere (a running VM, another fix) would
    /// corrupt it.
    static func claim(_ disk: String, readOnly: Bool) throws(GuestSessionError) -> Int32 {
        let fd = Glibc.open(disk, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else { throw .setup("cannot open \(disk): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            _ = Glibc.close(fd)
            throw .inUse("another xen2kvm is working on \(disk): wait for it to finish")
        }
        // Before this session's own lock, which the check would see.
        if let use = DiskInUse.reason(disk) {
            _ = Glibc.close(fd)
            throw .inUse("\(disk) is \(use): stop what uses it (shut the VM down, unmount it) and run again")
        }
        if !readOnly { DiskInUse.holdAgainstVMs(fd) }
        return fd
    }

    static func readTable(_ disk: String) throws(GuestSessionError) -> DetectedTable {
        let found: DetectedTable?
        do {
            found = try PartitionTableReader.read(path: disk)
        } catch {
            throw .setup("cannot read the partition table of \(disk): \(error)")
        }
        guard let table = found, table.partition(1) != nil else {
            throw .setup("\(disk) has no partition table with a partition 1: convert it first")
        }
        return table
    }

    private func mountRoot() async throws(GuestSessionError) {
        guard let first = partitions.first(where: { $0.number == 1 }) else { throw .setup("no partition 1") }
        _ = mkdir(root, 0o755)
        // The superblock's own fields, not libext2fs: the disk may be any guest's (`fix DISK`).
        let facts = ExtSuperblock.read(first.device)
        // A read-only session never replays a journal or log, which would write to the disk:
        // noload for ext3/4, norecovery for XFS (no ext facts: XFS is the other root xen2kvm makes).
        let options = readOnly ? (facts.map { $0.hasJournal ? "ro,noload" : "ro" } ?? "ro,norecovery") : "rw"
        // ext2 and ext3 by the ext4 driver (what mount picks for ext4 anyway): the kernel
        // idmaps only a mount of type ext4, and the sandbox mounts the guest again as the same
        // type. The driver uses only the features the filesystem has; nothing is added to it.
        let type = facts != nil ? ["-t", "ext4"] : []
        let result: HostTool.Outcome
        do {
            result = try await HostTool.run("mount", type + ["-o", options, first.device, root], package: "mount")
        } catch {
            throw GuestSessionError(error)
        }
        guard result.status == 0 else { throw .setup("cannot mount \(first.device):\n\(result.tail)") }
        mounts.append(root)
        record.hold(.mount(root))
        if let type = Mounts.all().last(where: { $0.mountPoint == root })?.type { rootType = type }
    }

    /// Makes the mounted guest ready for its own programs: private /dev with the KVM names,
    /// /proc and /sys. Idempotent.
    public func prepareForPrograms() throws(GuestSessionError) {
        guard !mounts.contains(devDirectory) else { return }
        let uuid = partitions.first { $0.number == 1 }.flatMap { ExtSuperblock.read($0.device)?.uuid }
        let diskRdev = HostFiles.value("/sys/class/block/\(loopName)/dev").flatMap(LoopDevices.parseDevNumber)
        guard let diskRdev else { throw .setup("the kernel shows no \(loopName)") }
        // Built beside the guest root, not in it: each program's namespace binds it onto the
        // guest's /dev (see `run`), and the guest's own /dev directory is never touched.
        // Mounted inside the record's directory: the next run unmounts them even unrecorded.
        defer { for point in mounts where !point.hasPrefix(root) { record.hold(.mount(point)) } }
        try PrivateDev.build(
            at: devDirectory, diskRdev: diskRdev, partitions: partitions, filesystemUUID: uuid,
            diskOwner: GuestIDs.base, mounts: &mounts)
    }

    /// The private /dev, on the host side.
    var devDirectory: String { "\(directory)/dev" }

    var loopName: String { loopDevice.split(separator: "/").last.map(String.init) ?? loopDevice }

    /// Releases everything, newest first: mounts, partitions, the loop device, the record.
    /// Never throws; returns what could not be released (left recorded for the next run).
    @discardableResult
    public func close() -> [String] {
        guard !closed else { return [] }
        closed = true
        let leftovers = record.close()
        mounts.removeAll()
        if diskLock >= 0 { _ = Glibc.close(diskLock) }
        diskLock = -1
        if !leftovers.isEmpty {
            // close() runs on every path, often from a defer: say it here, where it is known.
            let line = "xen2kvm: could not release \(leftovers.joined(separator: ", "))\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            // On stderr already: the log keeps it, --verbose does not print it twice.
            Log.error("could not release \(leftovers.joined(separator: ", "))", printed: true)
        } else {
            Log.info("released \(loopDevice) and its mounts")
        }
        return leftovers
    }

    deinit { close() }
}
