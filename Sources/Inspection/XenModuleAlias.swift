/// `alias DEVICE MODULE` lines that load Xen's paravirtual drivers, and what each becomes under
/// KVM: one rule for the `xen-module-alias` warning and the `modprobe` edit, after virt-v2v's
/// convert_linux.ml (`configure_kernel_modules`).
public enum XenModuleAlias {
    /// modprobe's configs (EL5+, SLES) and modutils' (2.4-era guests; some later images keep a
    /// /etc/modules.conf), each read in full. Every file in /etc/modprobe.d is read too, since
    /// EL5's modprobe reads them all, not only `*.conf`.
    public static let files = [
        "/etc/modprobe.conf", "/etc/modprobe.conf.local", "/etc/modules.conf", "/etc/conf.modules",
    ]
    public static let directory = "/etc/modprobe.d"

    /// Xen driver → the virtio driver for the same device (xen-vbd and xen-vnif are the
    /// PV-on-HVM drivers of RHEL's kmod-xenpv).
    public static let virtio: [String: String] = [
        "xenblk": "virtio_blk", "xen-blkfront": "virtio_blk", "xen_blkfront": "virtio_blk", "xen-vbd": "virtio_blk",
        "xennet": "virtio_net", "xen-netfront": "virtio_net", "xen_netfront": "virtio_net", "xen-vnif": "virtio_net",
    ]

    /// What an alias loading a Xen driver becomes: a NIC's alias (any interface name) its virtio
    /// driver, the disk controller's (`scsi_hostadapter`, `scsi_hostadapter1` …: EL5 mkinitrd
    /// puts each in every initrd and aborts on a module the kernel lacks) virtio_blk; nil for
    /// any other (`block-major-202`: no virtio disk has Xen's major), which is commented out.
    /// nil too for a module that is not Xen's.
    public static func replacement(device: String, module: String) -> String? {
        guard let driver = virtio[module] else { return nil }
        if driver == "virtio_net" { return driver }
        return device.hasPrefix("scsi_hostadapter") ? driver : nil
    }

    /// The device and Xen module of an `alias` line outside comments, or nil.
    public static func parse(_ line: some StringProtocol) -> (device: String, module: String)? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 3, words[0] == "alias", let module = words.last, virtio[String(module)] != nil
        else { return nil }
        return (String(words[1]), String(module))
    }

    /// What the edit does with the alias, for the inspection report.
    public static func plan(device: String, module: String) -> String {
        replacement(device: device, module: module).map { "convert makes it \($0)" }
            ?? "KVM has no such device, so convert comments it out"
    }
}
