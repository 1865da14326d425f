import Inspection

/// The disks besides vda that the fixed guest's fstab expects (a swap or data volume that was a
/// separate Xen disk): the operator has to convert and attach each, in order, or the guest waits
/// for it at boot. Said as a warning in the report.
enum OtherDisks {
    static func warnings(_ context: FixContext) -> [String] {
        let mapping = DeviceMapping(context)
        var warnings: [String] = []
        for entry in context.guest.fstab {
            guard let xen = XenDeviceName(path: entry.device), let kvm = mapping.kvmName(for: xen),
                !kvm.hasPrefix("vda")
            else { continue }
            let disk = String(kvm.prefix { !$0.isNumber })
            let hint =
                entry.type == "swap" && !xen.partition.isEmpty
                ? " (`xen2kvm convert` makes the Xen swap volume such a disk: partition 1, same UUID and label)" : ""
            warnings.append(
                "fstab expects /dev/\(kvm) (\(entry.mountPoint) \(entry.type)), once /dev/\(xen.name): attach its "
                    + "converted disk as \(disk)" + hint)
        }
        return warnings
    }
}
