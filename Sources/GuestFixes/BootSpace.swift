import Inspection

/// Room in the guest's /boot for the helper's initrds: each one it rebuilds is kept as
/// `*.xen2kvm` and written anew, with virtio a little bigger, so it needs about twice its size.
/// A /boot that fills up midway leaves a guest with a truncated initrd: checked first.
enum BootSpace {
    /// Headroom beyond the initrds: grub's files, a kernel package's triggers.
    static let margin: UInt64 = 16 << 20
    /// What a kernel without an initrd yet will get (dracut and initramfs-tools, typical sizes).
    static let newInitrd: UInt64 = 40 << 20

    /// Why the rebuild would not fit, or nil when it fits (or the room cannot be read).
    static func shortfall(in root: GuestRoot, guest: GuestReport) -> String? {
        let kernels = BestKernel.bootable(guest.kernels)
        guard !kernels.isEmpty, let free = root.freeBytes(in: "/boot") else { return nil }
        let needed = kernels.reduce(margin) { total, kernel in
            total + (kernel.initrd.flatMap(root.size).map { 2 * $0 } ?? newInitrd)
        }
        guard free < needed else { return nil }
        return "the guest's /boot has \(free >> 20) MiB free, and rebuilding \(kernels.count) initrd(s) (the old ones "
            + "kept as *.xen2kvm) needs about \(needed >> 20) MiB: remove old kernels in the guest, or convert with "
            + "--method rsync and a bigger --target-size"
    }
}
