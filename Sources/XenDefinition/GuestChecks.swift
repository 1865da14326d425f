/// What in a read guest stands in the way of the move, or is worth saying, whichever form it
/// came from. Each finding says what to do.
enum GuestChecks {
    /// Target prefixes of disks that a network protocol, not a dom0 path, reaches.
    static let networkSchemes = [
        "iscsi", "nbd", "enbd", "drbd", "rbd", "sheepdog", "gluster", "ceph", "nfs", "http", "https", "ftp",
        "ftps", "ssh", "tftp", "vxhs",
    ]

    static func check(_ guest: XenGuest, notes: inout Notes) {
        if guest.type != .pv {
            notes.blocker(
                "not-pv-guest",
                "this is a Xen \(guest.type.rawValue.uppercased()) guest; xen2kvm moves PV guests only. An HVM "
                    + "guest already boots from its own bootloader: move it with virt-v2v or by copying its disks")
        }
        if guest.memoryMiB == nil {
            notes.warning("no-memory", "the definition sets no memory; give the KVM guest its size yourself")
        }
        if guest.name == nil {
            notes.warning("no-name", "the definition names no guest; the KVM domain needs a name")
        }
        checkBoot(guest.boot, notes: &notes)
        for disk in guest.disks { checkDisk(disk, notes: &notes) }
    }

    private static func checkBoot(_ boot: Boot, notes: inout Notes) {
        switch boot.method {
        case .bootloader:
            break
        case .pvGrub:
            notes.info("pv-grub", "pv-grub read the guest's own grub menu, as pygrub would: the guest has its kernels")
        case .directKernel:
            notes.warning(
                "direct-kernel-boot",
                "Xen booted the kernel \(boot.kernel ?? "") from the Xen host, not from the guest's disk; under KVM "
                    + "the guest boots a kernel of its own: `xen2kvm inspect` on the root disk says whether it has "
                    + "one (a `no-kernel` blocker there: install the distribution's kernel package into the guest "
                    + "first)")
        case .none:
            notes.warning(
                "no-boot-method", "the definition names neither a bootloader nor a kernel; xl could not have started it"
            )
        }
    }

    private static func checkDisk(_ disk: XenDisk, notes: inout Notes) {
        let name = "\(disk.kind.rawValue) \(disk.vdev) (\(disk.target.isEmpty ? "empty" : disk.target))"
        if disk.kind == .cdrom {
            notes.info(
                "cdrom-dropped",
                "the \(name) is not carried over: attach an ISO to the KVM guest when it needs one")
            return
        }
        if let scheme = scheme(of: disk) {
            notes.blocker(
                "network-disk",
                "\(name) is reached over the network (\(scheme)); xen2kvm reads local block devices and files: "
                    + "attach it on this host (or copy it to a local volume) and name that path in the definition")
        } else if let script = disk.script {
            notes.blocker(
                "disk-script",
                "\(name) is set up by the hotplug script \(script), so its target is not a path on this host: "
                    + "run the script's setup by hand (or copy the disk to a local volume) and name the device it makes"
            )
        }
        if !["raw", "empty"].contains(disk.format) {
            // qemu-img calls VHD "vpc".
            let source = disk.format == "vhd" ? "vpc" : disk.format
            notes.blocker(
                "disk-not-raw",
                "\(name) is a \(disk.format) image; xen2kvm copies raw disks only: convert it first with "
                    + "`qemu-img convert -f \(source) -O raw \(disk.target) \(disk.target).raw` and name the raw file")
        }
        if disk.access == .sharedWrite {
            notes.warning(
                "shared-write-disk",
                "\(name) is writable by several guests at once (w!); make sure no other guest uses it during the move")
        }
    }

    /// The network protocol a disk uses, from its hotplug script (block-iscsi) or its target
    /// ("rbd:pool/image", "nbd://host:10809").
    static func scheme(of disk: XenDisk) -> String? {
        if let script = disk.script {
            let base = script.split(separator: "/").last.map(String.init) ?? script
            if base.hasPrefix("block-"), networkSchemes.contains(String(base.dropFirst("block-".count))) {
                return base
            }
        }
        guard let colon = disk.target.firstIndex(of: ":"), !disk.target.hasPrefix("/") else { return nil }
        let word = disk.target[..<colon].lowercased()
        return networkSchemes.contains(word) ? word : nil
    }
}
