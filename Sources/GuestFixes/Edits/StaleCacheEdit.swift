/// Removes device caches written under Xen: /etc/blkid/blkid.tab (EL5), /etc/blkid.tab,
/// /etc/lvm/cache/.cache, and LVM's devices file /etc/lvm/devices/system.devices (EL9: it lists
/// the PVs LVM may use by the IDs of the Xen devices they were on, so under KVM it would hide
/// every PV and the root volume group would never appear).
///
/// They record the Xen device names (xvda1, xvda2, …) and their contents; under KVM those
/// devices do not exist, and a stale cache can make blkid or LVM look for them. Both tools
/// rebuild their cache from the devices they find, and LVM without a devices file uses every
/// device it sees.
public struct StaleCacheEdit: GuestEdit {
    public let name = "stale-caches"
    public init() {}

    static let caches = [
        "/etc/blkid/blkid.tab", "/etc/blkid.tab", "/etc/lvm/cache/.cache", "/etc/lvm/devices/system.devices",
    ]

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        var result: [FileChange] = []
        for path in Self.caches {
            guard let before = try root.read(path) else { continue }
            result.append(
                FileChange(
                    path: path, before: before, after: nil, edit: name,
                    summary: ["removed: a device cache written under Xen; rebuilt from the KVM devices"]))
        }
        return result
    }
}
