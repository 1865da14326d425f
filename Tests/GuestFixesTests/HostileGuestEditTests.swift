import Foundation
import GuestFixes
import Inspection
import TestSupport
import Testing

/// All edits on a guest whose config files are symlinks aimed at the host: absolute paths and
/// `../` climbs past the guest root. The guest is untrusted input; edits resolve every path inside
/// it, so the host's files stay byte for byte as they were and the guest's own files are edited.
///
/// Fixtures/hostile/ holds the regular files (git cannot hold the run-time paths the links
/// need); the links, and a "host" directory next to the guest full of files the edits would
/// change if they ever reached them, are made here.
@Suite struct HostileGuestEditTests {
    struct Setup {
        let directory: TemporaryDirectory
        let guest: String
        let host: String
        /// Guest path → link target, as made.
        let links: [String: String]
    }

    static let climb = String(repeating: "../", count: 12)

    static func makeHostileGuest() throws -> Setup {
        let directory = try TemporaryDirectory(prefix: "xen2kvm-hostile")
        let guest = directory.file("guest")
        let host = directory.file("host")
        let fm = FileManager.default
        try fm.copyItem(atPath: Fixtures.tree("hostile"), toPath: guest)

        // What a careless edit would find on the "host".
        let hostFiles = [
            "/etc/shadow": "/dev/xvda1 / ext4 defaults 1 1\n",
            "/etc/inittab": "co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav\n",
            "/etc/securetty": "console\nxvc0\n",
            "/etc/sysconfig/network-scripts/ifcfg-eth0": "DEVICE=eth0\nHWADDR=00:16:3E:00:00:01\n",
            "/etc/modprobe.conf": "alias eth0 xennet\nalias scsi_hostadapter xenblk\n",
            "/etc/default/grub": "GRUB_CMDLINE_LINUX=\"console=hvc0\"\n",
            "/etc/sysconfig/kernel": "DEFAULTKERNEL=kernel-xen\n",
            "/etc/blkid.tab": "<device>/dev/xvda1</device>\n",
            "/etc/initramfs-tools/conf.d/resume": "RESUME=/dev/xvdb1\n",
            "/root/.bashrc": "# the host's own\n",
        ]
        for (path, text) in hostFiles { try GuestFiles.write(host + path, text) }
        try fm.createDirectory(atPath: host + "/etc/dracut.conf.d", withIntermediateDirectories: true)

        let links = [
            // Absolute host-looking paths the guest has too: its own files are meant.
            "/etc/fstab": "/etc/shadow",
            "/boot/grub/menu.lst": "/etc/passwd",
            // Climbing past the root stops at the guest root.
            "/etc/inittab": climb + "root/.bashrc",
            "/etc/crypttab": climb + "etc/hostname",
            // Straight at the host directory, by absolute path or by climbing.
            "/etc/securetty": host + "/etc/securetty",
            "/etc/sysconfig/network-scripts/ifcfg-eth0": climb + host.dropFirst()
                + "/etc/sysconfig/network-scripts/ifcfg-eth0",
            "/etc/modprobe.conf": host + "/etc/modprobe.conf",
            "/etc/default/grub": host + "/etc/default/grub",
            "/etc/sysconfig/kernel": climb + host.dropFirst() + "/etc/sysconfig/kernel",
            "/etc/blkid.tab": host + "/etc/blkid.tab",
            "/etc/initramfs-tools": host + "/etc/initramfs-tools",
            "/etc/dracut.conf.d": host + "/etc/dracut.conf.d",
        ]
        for (path, target) in links {
            try GuestFiles.makeParent(guest + path)
            try fm.createSymbolicLink(atPath: guest + path, withDestinationPath: target)
        }
        // One host path also exists inside the guest: that copy is the guest's to edit.
        try GuestFiles.write(guest + host + "/etc/modprobe.conf", "alias eth0 xennet\n")
        return Setup(directory: directory, guest: guest, host: host, links: links)
    }

    @Test func editsNeverLeaveTheGuestRoot() throws {
        let setup = try Self.makeHostileGuest()
        let hostBefore = try treeSnapshot(setup.host)
        let root = try GuestRoot(path: setup.guest)
        let context = FixContext(guest: GuestInspector.inspect(root), profile: "centos6")
        let changes = try GuestEdits.plan(root, context: context)

        // Applied one by one: a change may fail with GuestFixError (a link whose target does not
        // exist inside the guest); none may write outside it.
        var failed: [String] = []
        for change in changes {
            do {
                try GuestEdits.apply([change], to: root)
            } catch {
                failed.append(change.path)
            }
        }
        #expect(try treeSnapshot(setup.host) == hostBefore, "a host file changed")

        // The guest's own link targets were edited instead.
        #expect(
            Set(changes.map(\.path)) == [
                "/etc/fstab", "/boot/grub/menu.lst", "/etc/inittab", "/etc/modprobe.conf", "/.autorelabel",
            ])
        #expect(failed == [])
        let shadow = try String(contentsOfFile: setup.guest + "/etc/shadow", encoding: .utf8)
        #expect(shadow.contains("\n/dev/vda1              /") && shadow.contains("\n/dev/vdb1              swap"))
        let passwd = try String(contentsOfFile: setup.guest + "/etc/passwd", encoding: .utf8)
        #expect(
            passwd.contains("\troot (hd0,0)\n") && passwd.contains("root=/dev/vda1 console=tty0 console=ttyS0,115200\n")
        )
        let bashrc = try String(contentsOfFile: setup.guest + "/root/.bashrc", encoding: .utf8)
        #expect(bashrc.hasSuffix("\nS0:2345:respawn:/sbin/agetty ttyS0 115200 vt100-nav\n"))
        let mirror = try String(contentsOfFile: setup.guest + setup.host + "/etc/modprobe.conf", encoding: .utf8)
        #expect(mirror == "alias eth0 virtio_net\nalias scsi_hostadapter virtio_blk\n")
        #expect(try String(contentsOfFile: setup.guest + "/etc/hostname", encoding: .utf8) == "hostile\n")

        // Every link is still the same link.
        for (path, target) in setup.links {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: setup.guest + path) == target, "\(path)")
        }
        #expect(try GuestEdits.plan(root, context: context) == [])
    }

    /// A change planned for a directory that turns out to be a link out of the guest fails
    /// inside the guest; the host directory stays empty.
    @Test func aCreationThroughALinkedDirectoryFailsInsideTheGuest() throws {
        let setup = try Self.makeHostileGuest()
        let hostBefore = try treeSnapshot(setup.host)
        let root = try GuestRoot(path: setup.guest)
        let change = FileChange(
            path: "/etc/dracut.conf.d/xen2kvm-virtio.conf", before: nil, after: "add_drivers+=\" virtio \"\n",
            edit: "initrd-modules", summary: ["test"])
        #expect(throws: GuestFixError.self) { try GuestEdits.apply([change], to: root) }
        let removal = FileChange(
            path: "/etc/initramfs-tools/conf.d/resume", before: "x", after: nil, edit: "t", summary: [])
        try GuestEdits.apply([removal], to: root)
        #expect(try treeSnapshot(setup.host) == hostBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.host + "/etc/dracut.conf.d") == [])
    }
}

/// The same hostile guest in full mode: converted to a disk, then `xen2kvm fix` runs the
/// edits and the guest helper in the chroot. The host directory stays byte for byte.
@Suite struct HostileGuestFullModeTests {
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox", "unshare"]))
    func fullFixLeavesHostFilesAlone() async throws {
        let setup = try HostileGuestEditTests.makeHostileGuest()
        // A real shell, so the guest helper does run (and fails on the missing EL tools).
        try FileManager.default.createDirectory(atPath: setup.guest + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: setup.guest + "/bin/sh")
        let hostBefore = try treeSnapshot(setup.host)
        let source = setup.directory.file("hostile.img")
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", "-d", setup.guest, source, "32M"])
        let disk = setup.directory.file("hostile-kvm.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, disk])
        #expect(copied.status == 0, "\(copied.stderr)")

        let fixed = try await Xen2KVMBinary.run(["fix", disk])
        #expect(fixed.status != 0, "the helper cannot succeed without mkinitrd/dracut: \(fixed.stdout)")
        #expect(try treeSnapshot(setup.host) == hostBefore, "a host file changed")
        let loops = try await loopLeftovers(matching: disk)
        #expect(loops.isEmpty, "\(loops)")
    }
}
