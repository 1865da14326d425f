import Foundation
import TestSupport

/// Real Debian 12 and 13 guests laid out as Xen PV guests (scripts/make-debian-guest, cached), as bare
/// filesystem images built at run time.
enum XenGuestImages {
    enum Flavor: String {
        /// grub-pc in the guest, ext4, /dev/xvda1, console=hvc0.
        case grub2
        /// grub legacy 0.97, ext3, menu.lst with `root (hd0)`, an initramfs without virtio.
        case grubLegacy = "grub-legacy"
        /// grub-pc, root by UUID, swap on a second Xen disk /dev/xvdb1.
        case gptSwap = "gpt-swap"
        /// grub-pc plus the SELinux reference policy and setfiles, permissive, nothing labelled.
        case selinux
        /// Debian 13, grub-pc, the package's own /etc/default/grub (no console named there).
        case trixie
        /// Debian 11, a whole-disk guest: fstab and root= on /dev/xvda.
        case bullseye
        /// The grub2 guest with its disk named /dev/sda1, as older Xen configs did.
        case sdaNames = "sda-names"
    }

    static func image(_ flavor: Flavor, in dir: TemporaryDirectory) async throws -> String {
        let made = try await Command.check("\(Fixtures.packageRoot)/scripts/make-debian-guest", [flavor.rawValue])
        let root = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let image = dir.file("debian-\(flavor.rawValue)-xen.img")
        var options = ["-q", "-F", "-t", flavor == .grubLegacy ? "ext3" : "ext4"]
        if flavor == .gptSwap {
            // The UUID the guest's fstab and pygrub config name.
            let uuid = try String(contentsOfFile: "\(root).uuid", encoding: .utf8)
            options += ["-U", uuid.trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        try await Command.check("mke2fs", options + ["-d", root, image, "2G"])
        return image
    }

    /// The same guest as a partitioned Xen disk (what virt-install and many templates make):
    /// an MBR with partition 1 at sector 2048 holding the root filesystem, no boot code (pygrub
    /// read partition 1 on the Xen host).
    static func partitionedImage(_ flavor: Flavor, in dir: TemporaryDirectory) async throws -> String {
        let made = try await Command.check("\(Fixtures.packageRoot)/scripts/make-debian-guest", [flavor.rawValue])
        let root = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let image = dir.file("debian-\(flavor.rawValue)-xen-partitioned.img")
        try await Command.check("truncate", ["-s", "2049M", image])
        try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(image)"])
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", "-E", "offset=1048576", "-d", root, image, "2G"])
        return image
    }

    /// The guest's second Xen disk: a bare swap volume (fstab's /dev/xvdb1).
    static func swapVolume(in dir: TemporaryDirectory) async throws -> String {
        let volume = dir.file("xen-swap.img")
        try await Command.check("truncate", ["-s", "256M", volume])
        try await Command.check("mkswap", ["-L", "xenswap", volume])
        return volume
    }
}
