import Inspection

/// How the Xen block devices a guest names become KVM devices.
///
/// - The root filesystem (the device fstab mounts on "/", else the first `root=/dev/xvd…` on a
///   kernel command line) was a bare filesystem; it becomes partition 1 of the first virtio
///   disk: `/dev/vda1`. The whole root disk (`xvda` when root was `xvda1`) becomes `vda`.
/// - An explicit `FixContext.deviceMap` entry wins next, for a partition ("xvda2" → "vdb") or a
///   whole disk ("xvdb" → "vdc", partitions kept: xvdb1 → vdc1).
/// - Any other partition of the root disk (`xvda2` next to a root on `xvda1`) was a separate
///   Xen volume that this disk does not carry: there is no KVM device for it (nil).
/// - Any other Xen disk keeps its letter: xvdc1 → vdc1.
struct DeviceMapping: Sendable {
    let root: XenDeviceName?
    let explicit: [String: String]

    init(_ context: FixContext) {
        root = Self.rootDevice(of: context.guest)
        var explicit: [String: String] = [:]
        for (xen, kvm) in context.deviceMap {
            explicit[Self.bare(xen)] = Self.bare(kvm)
        }
        self.explicit = explicit
    }

    private static func bare(_ name: String) -> String {
        name.hasPrefix("/dev/") ? String(name.dropFirst("/dev/".count)) : name
    }

    static func rootDevice(of guest: GuestReport) -> XenDeviceName? {
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
    func kvmName(for xen: XenDeviceName) -> String? {
        if let root, xen == root { return "vda1" }
        if let mapped = explicit[xen.name] { return mapped }
        if let root, xen.disk == root.disk {
            if xen.partition.isEmpty { return "vda" }
            if let disk = explicit[xen.disk] { return disk + xen.partition }
            return nil
        }
        if let disk = explicit[xen.disk] { return disk + xen.partition }
        return xen.kvmDisk + xen.partition
    }

    /// The same for a path: "/dev/xvdb1" → "/dev/vdb1".
    func kvmPath(for xen: XenDeviceName) -> String? {
        kvmName(for: xen).map { "/dev/" + $0 }
    }

    /// Every `/dev/xvd…` (`/dev/sd…`, `/dev/hd…`) path in `text` (standing alone: after a blank, `=`, `:` or a quote)
    /// replaced by its KVM path; the renames made and the devices with no KVM name (left as
    /// they were).
    func replacingPaths(in text: String) -> (text: String, renamed: [String], missing: [XenDeviceName]) {
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
    func whyMissing(_ xen: XenDeviceName) -> String {
        "/dev/\(xen.name) was a separate Xen volume next to the root filesystem; "
            + "no KVM disk takes its place (map it with --map to keep it)"
    }
}
