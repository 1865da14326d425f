import Inspection

/// The KVM disk each Xen disk of the definition becomes, derived once from the definition.
///
/// Under Xen every volume was its own virtual disk, often named like a partition (`xvda1`,
/// `xvda2`); under KVM each becomes a virtio disk of its own: the root first (`vda`), then the
/// others in the order of their Xen names. A volume that holds a bare filesystem goes into
/// partition 1 of its disk (`xvda2` → `vdb1`); a whole disk that is already partitioned keeps
/// its partitions' numbers (`xvdb` → `vdc`, its `xvdb2` → `vdc2`). Whether a whole-disk vdev
/// (`xvdb`) holds a partition table only its contents tell: the caller that inspected it says
/// so, otherwise a bare filesystem is assumed and the entry says it was assumed.
public struct DeviceMap: Sendable, Codable, Equatable {
    public enum WholeDiskContent: String, Sendable, Codable {
        case bareFilesystem = "bare-filesystem"
        case partitioned
        /// A bare volume copied as it is, with no partition table put around it (an LVM PV, a
        /// LUKS or btrfs data volume): the guest finds it as the whole disk, "vdc".
        case wholeVolume = "whole-volume"
    }

    public struct Entry: Sendable, Codable, Equatable {
        /// The Xen vdev, as the definition names it ("xvda1", "sdb").
        public var xen: String
        /// The disk's dom0 path.
        public var target: String
        /// The virtio disk it becomes: "vdb".
        public var kvmDisk: String
        /// What the guest's own files name instead of `xen`: "vdb1" (bare filesystem in
        /// partition 1) or "vdb" (a partitioned disk).
        public var kvm: String
        public var content: WholeDiskContent
        /// True when `content` was assumed, not known (a whole-disk vdev the caller did not describe).
        public var contentAssumed: Bool
        public var isRoot: Bool
    }

    /// The Xen vdev of the root filesystem's disk, nil when none could be identified.
    public var root: String?
    /// How the root was identified, for the report.
    public var rootReason: String
    public var entries: [Entry]

    /// The map for the guest fixes (`FixContext.deviceMap`, `--map`): Xen name → KVM name.
    public var fixMap: [String: String] {
        Dictionary(entries.map { ($0.xen, $0.kvm) }, uniquingKeysWith: { first, _ in first })
    }

    init(
        _ guest: XenGuest, wholeDiskContent: (XenDisk) -> WholeDiskContent?, notes: inout Notes
    ) {
        let disks = guest.disks.filter { $0.kind == .disk }
        var seen: Set<String> = []
        for disk in disks where !seen.insert(disk.vdev).inserted {
            notes.blocker("duplicate-vdev", "two disks are named \(disk.vdev); the definition must name each once")
        }
        for disk in disks where XenDeviceName(disk.vdev) == nil {
            notes.warning(
                "unknown-vdev", "disk \(disk.vdev) (\(disk.target)) has no xvd/sd/hd name; it is mapped by its order")
        }
        let (root, reason, rootPartitioned) = Self.findRoot(guest, disks: disks, notes: &notes)
        self.root = root?.vdev
        rootReason = reason

        var ordered = disks.filter { $0.vdev != root?.vdev }.sorted(by: Self.xenOrder)
        if let root { ordered.insert(root, at: 0) }
        entries = ordered.enumerated().map { index, disk in
            let kvmDisk = "vd" + Self.letters(index)
            let isPartitionName = XenDeviceName(disk.vdev).map { !$0.partition.isEmpty } ?? false
            // A partition-named vdev holds a bare volume; only a caller that keeps it whole says otherwise.
            let said = wholeDiskContent(disk)
            let told = isPartitionName ? (said == .wholeVolume ? .wholeVolume : .bareFilesystem) : said
            let known = disk.vdev == root?.vdev ? (rootPartitioned ? .partitioned : told) : told
            let content = known ?? .bareFilesystem
            return Entry(
                xen: disk.vdev, target: disk.target, kvmDisk: kvmDisk,
                kvm: content == .bareFilesystem ? kvmDisk + "1" : kvmDisk, content: content,
                contentAssumed: known == nil, isRoot: disk.vdev == root?.vdev)
        }
    }

    /// The root disk: the one `root=` names (its disk, when `root=` names a partition of a
    /// whole-disk vdev), else the first disk, the one pygrub and pv-grub read.
    private static func findRoot(
        _ guest: XenGuest, disks: [XenDisk], notes: inout Notes
    ) -> (XenDisk?, String, partitioned: Bool) {
        if let root = guest.boot.root, let name = XenDeviceName(path: root) {
            if let disk = disks.first(where: { $0.vdev == name.name }) {
                return (disk, "root=\(root) on the kernel command line", false)
            }
            if !name.partition.isEmpty, let disk = disks.first(where: { $0.vdev == name.disk }) {
                return (
                    disk, "root=\(root) on the kernel command line: partition \(name.partition) of \(name.disk)", true
                )
            }
            notes.blocker(
                "root-not-listed",
                "the kernel command line says root=\(root), but no disk of the definition is \(name.name): "
                    + "add the root volume to the definition (or fix root=)")
            return (nil, "root=\(root) names no listed disk", false)
        }
        guard let first = disks.first else {
            notes.blocker(
                "no-root-disk", "the definition lists no disk to boot from; add the guest's root volume to it")
            return (nil, "no disk", false)
        }
        let why = guest.boot.root.map { "root=\($0) names no device" } ?? "no root= on the kernel command line"
        return (first, "\(why): the first disk, the one the bootloader read", false)
    }

    /// xvda before xvda1 before xvda2 before xvdb before xvdaa; names that are not Xen
    /// device names last, as listed.
    private static func xenOrder(_ left: XenDisk, _ right: XenDisk) -> Bool {
        switch (XenDeviceName(left.vdev), XenDeviceName(right.vdev)) {
        case (let l?, let r?):
            if l.letters.count != r.letters.count { return l.letters.count < r.letters.count }
            if l.letters != r.letters { return l.letters < r.letters }
            return (Int(l.partition) ?? 0) < (Int(r.partition) ?? 0)
        case (.some, nil): return true
        default: return false
        }
    }

    /// 0 → "a", 25 → "z", 26 → "aa": the kernel's disk letters.
    static func letters(_ index: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz")
        var index = index
        var result = String(alphabet[index % 26])
        while index >= 26 {
            index = index / 26 - 1
            result = String(alphabet[index % 26]) + result
        }
        return result
    }
}
