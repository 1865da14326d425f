/// How the Xen block devices a guest names become KVM devices: the one rule the guest edits
/// rename by and inspection's findings promise by.
///
/// - The root filesystem (the device fstab mounts on "/", else the first `root=/dev/xvd…` on a
///   kernel command line) becomes partition 1 of the first virtio disk: `/dev/vda1`. The whole
///   root disk (`xvda` when root was `xvda1`) becomes `vda`.
/// - An explicit device map entry wins next, for a partition ("xvda2" → "vdb") or a whole disk
///   ("xvdb" → "vdc", partitions kept: xvdb1 → vdc1). `defaultMap` is under every map; a
///   cloned partitioned disk adds `xvda → vda` (`GuestPlacement.deviceMap`).
/// - Any other partition of the root disk (`xvda2` next to a root on `xvda1`) was a separate
///   Xen volume that this disk does not carry: there is no KVM device for it (nil).
/// - Any other Xen disk keeps its letter: xvdc1 → vdc1.
public struct DeviceMapping: Sendable {
    /// What the root filesystem becomes: partition 1 of the first virtio disk.
    public static let rootPartition = "vda1"
    public static let rootDisk = "vda"
    /// The device names mapped when nothing else is said: a second Xen disk is KVM's second
    /// virtio disk.
    public static let defaultMap = ["xvdb": "vdb"]

    public let root: XenDeviceName?
    public let explicit: [String: String]

    /// The mapping for `guest` with `deviceMap` as it stands (`withDefaults` makes the map the
    /// edits run with from the names asked).
    public init(guest: GuestReport, deviceMap: [String: String]) {
        root = Self.rootDevice(of: guest)
        var explicit: [String: String] = [:]
        for (xen, kvm) in deviceMap {
            explicit[Self.bare(xen)] = Self.bare(kvm)
        }
        self.explicit = explicit
    }

    /// `asked` over `defaultMap`: the map the edits run with (`FixContext.forFix`), and the one
    /// inspection's findings name devices by.
    public static func withDefaults(_ asked: [String: String]) -> [String: String] {
        defaultMap.merging(asked) { _, asked in asked }
    }

    private static func bare(_ name: String) -> String {
        name.hasPrefix("/dev/") ? String(name.dropFirst("/dev/".count)) : name
    }

    public static func rootDevice(of guest: GuestReport) -> XenDeviceName? {
        if let entry = guest.fstab.first(where: { $0.mountPoint == "/" }),
            let name = XenDeviceName(path: entry.device)
        {
            return name
        }
        for line in guest.commandLines {
            for word in line.arguments.split(whereSeparator: { $0 == " " || $0 == "\t" })
            where word.hasPrefix("root=") {
                if let name = XenDeviceName(path: word.dropFirst("root=".count)) { return name }
            }
        }
        return nil
    }

    /// The KVM name ("vdb1", without /dev/) for a Xen device, or nil when none will exist.
    public func kvmName(for xen: XenDeviceName) -> String? {
        if let root, xen == root { return Self.rootPartition }
        if let mapped = explicit[xen.name] { return mapped }
        if let root, xen.disk == root.disk {
            if xen.partition.isEmpty { return Self.rootDisk }
            if let disk = explicit[xen.disk] { return disk + xen.partition }
            return nil
        }
        if let disk = explicit[xen.disk] { return disk + xen.partition }
        return xen.kvmDisk + xen.partition
    }

    /// The same for a path: "/dev/xvdb1" → "/dev/vdb1".
    public func kvmPath(for xen: XenDeviceName) -> String? {
        kvmName(for: xen).map { "/dev/" + $0 }
    }

    /// What a kernel argument `key=/dev/xvd…` comes to name: `root=` the root partition
    /// whatever it was (the kernel mounts what it says), any other key (`resume=`) the mapped
    /// device; nil when no KVM device takes its place.
    public func argumentPath(key: String, for xen: XenDeviceName) -> String? {
        key == "root=" ? "/dev/" + Self.rootPartition : kvmPath(for: xen)
    }

    /// Every `/dev/xvd…` (`/dev/sd…`, `/dev/hd…`) path in `text` (standing alone: after a blank, `=`, `:` or a quote)
    /// replaced by its KVM path; the renames made and the devices with no KVM name (left as
    /// they were).
    public func replacingPaths(in text: String) -> (text: String, renamed: [String], missing: [XenDeviceName]) {
        var result = ""
        var renamed: [String] = []
        var missing: [XenDeviceName] = []
        var rest = Substring(text)
        while let range = rest.firstRange(of: "/dev/") {
            let before = rest[..<range.lowerBound]
            let standsAlone = before.last.map { " \t=:\"'(".contains($0) } ?? true
            let end = rest[range.lowerBound...].firstIndex { " \t\"',;)".contains($0) } ?? rest.endIndex
            let path = rest[range.lowerBound..<end]
            result += before
            if standsAlone, let xen = XenDeviceName(path: path) {
                if let kvm = kvmPath(for: xen) {
                    result += kvm
                    renamed.append("\(path) → \(kvm)")
                } else {
                    result += path
                    missing.append(xen)
                }
            } else {
                result += path
            }
            rest = rest[end...]
        }
        return (result + rest, renamed, missing)
    }

    /// Why a Xen device has no KVM name, for reports.
    public func whyMissing(_ xen: XenDeviceName) -> String {
        "/dev/\(xen.name) was a separate Xen volume next to the root filesystem; "
            + "no KVM disk takes its place (map it with --map to keep it)"
    }
}
