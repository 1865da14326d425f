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

    /// The same guest on a bare XFS root (the default root filesystem of CentOS/RHEL 7): mkfs.xfs
    /// has no -d, so the tree is copied into it through a loop mount; fstab says xfs.
    static func xfsImage(_ flavor: Flavor, in dir: TemporaryDirectory) async throws -> String {
        let made = try await Command.check("\(Fixtures.packageRoot)/scripts/make-debian-guest", [flavor.rawValue])
        let root = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let image = dir.file("debian-\(flavor.rawValue)-xen-xfs.img")
        let point = dir.file("xfs-mount")
        try await Command.check("truncate", ["-s", "2G", image])
        try await Command.check("mkfs.xfs", ["-q", image])
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        try await Command.check("mount", ["-o", "loop", image, point])
        let copied = try await Command.run(
            "sh", ["-c", "cp -a \(root)/. \(point)/ && sed -i 's/ ext4 / xfs /' \(point)/etc/fstab && sync"])
        try await Command.check("umount", [point])
        // The filesystem is shut down (its last log writes made) once its loop device lets go:
        // a mount namespace copied meanwhile (any program's unshare) may hold it a moment
        // longer, and a hash taken before that would not be the image's last state.
        for _ in 0..<300 {
            let attached = try await Command.run("losetup", ["-j", image]).stdout
            if attached.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard copied.status == 0 else { throw CommandError.failed(command: "cp -a into the XFS image", result: copied) }
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
