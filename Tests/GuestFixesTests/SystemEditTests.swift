import Foundation
import Testing

@testable import GuestFixes
@testable import Inspection

/// Console, module aliases, default kernel package, network, initrd drivers, caches, SELinux.
@Suite struct SystemEditTests {
    @Test func consoleMovesXenGettysToTheSerialPort() throws {
        let guest = try GuestFiles([
            "/etc/inittab": """
            id:3:initdefault:
            # co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav (a comment)
            co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav
            1:2345:respawn:/sbin/mingetty tty1
            h1:2345:respawn:/sbin/agetty -t 60 -L 38400,9600 /dev/hvc0 vt102
            """,
            "/etc/securetty": "console\ntty1\nxvc0",
        ])
        let changes = try guest.run(ConsoleEdit())
        #expect(changes.map(\.path) == ["/etc/inittab", "/etc/securetty"])
        // The second Xen getty gets the next free serial id; both keep their program and options.
        #expect(
            try guest.read("/etc/inittab") == """
                id:3:initdefault:
                # co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav (a comment)
                S0:2345:respawn:/sbin/agetty ttyS0 115200 vt100-nav
                1:2345:respawn:/sbin/mingetty tty1
                T0:2345:respawn:/sbin/agetty -t 60 -L 115200 /dev/ttyS0 vt102
                """)
        #expect(try guest.read("/etc/securetty") == "console\ntty1\nxvc0\nttyS0\n")
    }

    @Test func consoleKeepsTheDebianGettyProgram() throws {
        let guest = try GuestFiles([
            "/etc/inittab": "1:2345:respawn:/sbin/getty 38400 tty1\nhvc0:2345:respawn:/sbin/getty 38400 hvc0\n"
        ])
        try guest.run(ConsoleEdit())
        #expect(
            try guest.read("/etc/inittab")
                == "1:2345:respawn:/sbin/getty 38400 tty1\nS0:2345:respawn:/sbin/getty 115200 ttyS0\n")
    }

    /// A getty on ttyS0 already: the Xen one is only commented out, not duplicated.
    @Test func consoleWithASerialGettyAlreadyCommentsTheXenOneOut() throws {
        let guest = try GuestFiles([
            "/etc/inittab": "T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\nhvc0:2345:respawn:/sbin/getty 38400 hvc0\n",
            "/etc/securetty": "ttyS0\nhvc0\n",
        ])
        let changes = try guest.run(ConsoleEdit())
        #expect(changes.map(\.path) == ["/etc/inittab"])
        #expect(
            try guest.read("/etc/inittab")
                == "T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\n"
                + "# xen2kvm: hvc0:2345:respawn:/sbin/getty 38400 hvc0\n"
        )
    }

    /// systemd and upstart guests: nothing to rewrite.
    @Test func consoleLeavesSystemdGuestsAlone() throws {
        let guest = try GuestFiles(
            ["/usr/lib/systemd/system/serial-getty@.service": "[Unit]\n", "/etc/inittab": "id:3:initdefault:\n"],
            symlinks: [
                "/etc/systemd/system/getty.target.wants/serial-getty@hvc0.service":
                    "/usr/lib/systemd/system/serial-getty@.service"
            ])
        #expect(try guest.run(ConsoleEdit()) == [])
    }

    @Test func modprobeAliasesNameVirtio() throws {
        let guest = try GuestFiles([
            "/etc/modprobe.conf":
                "# alias eth0 xennet (a comment)\nalias eth0 xennet\n"
                + "alias\tscsi_hostadapter\txenblk\nalias usb-controller ehci-hcd\n",
            "/etc/modprobe.conf.local": "alias eth1 xennet\n",
            "/etc/modprobe.d/xen.conf": "alias scsi_hostadapter xen-blkfront\nalias eth0 xen-netfront\n",
            "/etc/modprobe.d/blacklist": "alias eth2 xen_netfront\nblacklist xennet\n",
            "/etc/modprobe.d/other.conf": "options loop max_loop=64\n",
        ])
        let changes = try guest.run(ModprobeEdit())
        #expect(
            changes.map(\.path) == [
                "/etc/modprobe.conf", "/etc/modprobe.conf.local", "/etc/modprobe.d/blacklist",
                "/etc/modprobe.d/xen.conf",
            ])
        #expect(
            try guest.read("/etc/modprobe.conf")
                == "# alias eth0 xennet (a comment)\nalias eth0 virtio_net\n"
                + "alias\tscsi_hostadapter\tvirtio_blk\nalias usb-controller ehci-hcd\n"
        )
        #expect(try guest.read("/etc/modprobe.conf.local") == "alias eth1 virtio_net\n")
        #expect(
            try guest.read("/etc/modprobe.d/xen.conf") == "alias scsi_hostadapter virtio_blk\nalias eth0 virtio_net\n")
        #expect(try guest.read("/etc/modprobe.d/blacklist") == "alias eth2 virtio_net\nblacklist xennet\n")
        #expect(
            changes[0].summary == ["alias eth0: xennet → virtio_net", "alias scsi_hostadapter: xenblk → virtio_blk"])
    }

    /// modutils' /etc/modules.conf and kmod-xenpv's drivers too; one disk controller under KVM,
    /// and no alias for a device KVM has not (Xen's block major).
    @Test func modprobeCommentsOutXenAliasesWithNoKVMDevice() throws {
        let guest = try GuestFiles([
            "/etc/modules.conf": "alias eth0 xen-vnif\nalias scsi_hostadapter xen-vbd\n",
            "/etc/modprobe.d/xen": "alias scsi_hostadapter xenblk\nalias scsi_hostadapter1 xenblk\n"
                + "alias block-major-202 xenblk\n",
            "/etc/modprobe.d/kept": "alias scsi_hostadapter virtio_blk\nalias scsi_hostadapter1 xen-blkfront\n",
        ])
        // inspect warns of each, saying what convert does with it; none is left afterwards.
        func warnings() -> [String] {
            GuestChecks.findings(for: GuestInspector.inspect(guest.root)).filter { $0.code == "xen-module-alias" }
                .map(\.message)
        }
        #expect(warnings().count == 6)
        #expect(
            warnings().contains(
                "/etc/modprobe.d/xen:3: alias block-major-202 xenblk: loads a Xen driver, which a KVM guest has no "
                    + "device for; KVM has no such device, so convert comments it out"))
        #expect(
            warnings().contains {
                $0.hasPrefix("/etc/modules.conf:1: alias eth0 xen-vnif") && $0.hasSuffix("convert makes it virtio_net")
            })
        let changes = try guest.run(ModprobeEdit())
        #expect(warnings() == [])
        #expect(try guest.read("/etc/modules.conf") == "alias eth0 virtio_net\nalias scsi_hostadapter virtio_blk\n")
        #expect(
            try guest.read("/etc/modprobe.d/xen")
                == "alias scsi_hostadapter virtio_blk\n# xen2kvm: alias scsi_hostadapter1 xenblk\n"
                + "# xen2kvm: alias block-major-202 xenblk\n")
        #expect(
            try guest.read("/etc/modprobe.d/kept")
                == "alias scsi_hostadapter virtio_blk\n# xen2kvm: alias scsi_hostadapter1 xen-blkfront\n")
        #expect(
            changes.first { $0.path == "/etc/modprobe.d/xen" }?.summary == [
                "alias scsi_hostadapter: xenblk → virtio_blk",
                "alias scsi_hostadapter1 xenblk commented out: one disk controller under KVM",
                "alias block-major-202 xenblk commented out: KVM has no such device",
            ])
        #expect(try guest.run(ModprobeEdit()) == [])
    }

    /// A modprobe.conf with no disk driver alias (xenblk built into a hand-made initrd) gets the
    /// virtio one, which EL5 mkinitrd reads; the drop-in files never do.
    @Test func modprobeConfWithoutADiskAliasGetsVirtio() throws {
        let guest = try GuestFiles([
            "/etc/modprobe.conf": "alias eth0 xennet\n", "/etc/modprobe.d/net.conf": "alias eth1 xennet\n",
        ])
        try guest.run(ModprobeEdit())
        #expect(try guest.read("/etc/modprobe.conf") == "alias eth0 virtio_net\nalias scsi_hostadapter virtio_blk\n")
        #expect(try guest.read("/etc/modprobe.d/net.conf") == "alias eth1 virtio_net\n")
        let kept = try GuestFiles(["/etc/modprobe.conf": "alias scsi_hostadapter1 ata_piix\n"])
        #expect(try kept.run(ModprobeEdit()) == [])
    }

    /// XenServer/XCP guests comment out the screen gettys (only the Xen console existed there):
    /// they run again, once per tty; serial and already running ones are left alone.
    @Test func consoleBringsBackTheScreenGettys() throws {
        let guest = try GuestFiles([
            "/etc/inittab": """
            id:3:initdefault:
            co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav
            #1:2345:respawn:/sbin/mingetty tty1
            # 2:2345:respawn:/sbin/mingetty tty2
            3:2345:respawn:/sbin/mingetty tty3
            #3:2345:respawn:/sbin/mingetty tty3
            #T0:23:respawn:/sbin/getty -L ttyS1 9600 vt100
            # Run gettys in standard runlevels

            """
        ])
        try guest.run(ConsoleEdit())
        #expect(
            try guest.read("/etc/inittab") == """
                id:3:initdefault:
                S0:2345:respawn:/sbin/agetty ttyS0 115200 vt100-nav
                1:2345:respawn:/sbin/mingetty tty1
                2:2345:respawn:/sbin/mingetty tty2
                3:2345:respawn:/sbin/mingetty tty3
                #3:2345:respawn:/sbin/mingetty tty3
                #T0:23:respawn:/sbin/getty -L ttyS1 9600 vt100
                # Run gettys in standard runlevels

                """)
    }

    @Test func sysconfigKernelStopsPickingKernelXen() throws {
        let guest = try GuestFiles([
            "/etc/sysconfig/kernel": "UPDATEDEFAULT=yes\n# DEFAULTKERNEL=kernel-xen\nDEFAULTKERNEL=kernel-xen\n"
        ])
        try guest.run(SysconfigKernelEdit())
        #expect(
            try guest.read("/etc/sysconfig/kernel")
                == "UPDATEDEFAULT=yes\n# DEFAULTKERNEL=kernel-xen\nDEFAULTKERNEL=kernel\n")

        let quoted = try GuestFiles(["/etc/sysconfig/kernel": "DEFAULTKERNEL=\"kernel-xen\"\n"])
        try quoted.run(SysconfigKernelEdit())
        #expect(try quoted.read("/etc/sysconfig/kernel") == "DEFAULTKERNEL=\"kernel\"\n")

        // A 32-bit EL5 guest whose KVM kernel is the PAE one follows that package; debug builds
        // and Xen-only kernels never lead.
        let pae = try GuestFiles([
            "/etc/sysconfig/kernel": "DEFAULTKERNEL=kernel-xen\n", "/boot/vmlinuz-2.6.18-419.el5xen": "",
            "/boot/vmlinuz-2.6.18-398.el5PAE": "", "/boot/vmlinuz-2.6.18-419.el5PAE": "",
            "/boot/vmlinuz-2.6.18-420.el5debug": "",
        ])
        try pae.run(SysconfigKernelEdit())
        #expect(try pae.read("/etc/sysconfig/kernel") == "DEFAULTKERNEL=kernel-PAE\n")
        #expect(VersionOrder.less("2.6.32-96.el6", "2.6.32-754.el6") && !VersionOrder.less("3.10.0", "2.6.32"))

        for text in ["DEFAULTKERNEL=kernel\n", "DEFAULTKERNEL=kernel-PAE\n"] {
            let right = try GuestFiles(["/etc/sysconfig/kernel": text])
            #expect(try right.run(SysconfigKernelEdit()) == [])
        }
    }

    @Test func networkForgetsTheXenMACAddresses() throws {
        let rules = """
            # Written by /lib/udev/write_net_rules
            SUBSYSTEM=="net", ACTION=="add", DRIVERS=="vif", ATTR{address}=="00:16:3e:4b:9d:21", NAME="eth0"
            SUBSYSTEM=="net", ACTION=="add", DRIVERS=="vif", ATTR{address}=="00:16:3e:4b:9d:22", NAME="eth1"

            """
        let guest = try GuestFiles([
            "/etc/sysconfig/network-scripts/ifcfg-eth0": "DEVICE=eth0\nHWADDR=00:16:3E:4B:9D:21\nONBOOT=yes\n",
            "/etc/sysconfig/network-scripts/ifcfg-eth1":
                "DEVICE=eth1\n  HWADDR=00:16:3E:4B:9D:22\n# HWADDR=kept in a comment\n",
            "/etc/sysconfig/network-scripts/ifcfg-lo": "DEVICE=lo\nHWADDR=00:00:00:00:00:00\n",
            "/etc/udev/rules.d/70-persistent-net.rules": rules,
        ])
        let changes = try guest.run(NetworkEdit())
        #expect(
            changes.map(\.path) == [
                "/etc/sysconfig/network-scripts/ifcfg-eth0", "/etc/sysconfig/network-scripts/ifcfg-eth1",
                "/etc/udev/rules.d/70-persistent-net.rules",
            ])
        #expect(try guest.read("/etc/sysconfig/network-scripts/ifcfg-eth0") == "DEVICE=eth0\nONBOOT=yes\n")
        #expect(
            try guest.read("/etc/sysconfig/network-scripts/ifcfg-eth1") == "DEVICE=eth1\n# HWADDR=kept in a comment\n")
        #expect(try guest.read("/etc/sysconfig/network-scripts/ifcfg-lo") == "DEVICE=lo\nHWADDR=00:00:00:00:00:00\n")
        let emptied = try guest.read("/etc/udev/rules.d/70-persistent-net.rules")
        #expect(emptied.hasPrefix("# xen2kvm emptied this file"))
        #expect(emptied.split(separator: "\n").count == 1)
        #expect(changes[2].summary == ["emptied (2 rules): names were tied to the Xen MAC addresses"])
    }

    @Test func initrdModulesForDracutGuests() throws {
        let guest = try GuestFiles(["/etc/dracut.conf.d/README": "drop-ins\n"])
        let changes = try guest.run(InitrdModulesEdit(), profile: "centos6")
        #expect(changes.map(\.path) == ["/etc/dracut.conf.d/xen2kvm-virtio.conf"])
        #expect(changes.first?.before == nil)
        let text = try guest.read("/etc/dracut.conf.d/xen2kvm-virtio.conf")
        #expect(text.hasSuffix("\nadd_drivers+=\" virtio virtio_ring virtio_blk virtio_net virtio_pci \"\n"))

        // Any guest with the drop-in directory, whatever the profile (but EL5).
        let unknown = try GuestFiles(["/etc/dracut.conf.d/README": "drop-ins\n"])
        #expect(try unknown.run(InitrdModulesEdit(), profile: "none").count == 1)
        let el5 = try GuestFiles(["/etc/dracut.conf.d/README": "drop-ins\n", "/etc/modprobe.conf": "\n"])
        #expect(try el5.run(InitrdModulesEdit(), profile: "centos5") == [])
    }

    @Test func initrdModulesGoIntoDracutConfWithoutTheDropInDirectory() throws {
        let guest = try GuestFiles(["/etc/dracut.conf": "hostonly=\"yes\""])
        try guest.run(InitrdModulesEdit(), profile: "centos7")
        #expect(
            try guest.read("/etc/dracut.conf")
                == "hostonly=\"yes\"\nadd_drivers+=\" virtio virtio_ring virtio_blk virtio_net virtio_pci \"\n")
    }

    /// The guest's own dracut driver settings lose Xen's front-ends: dropped from a list that
    /// names others too, the setting commented out when it named only them.
    @Test func dracutDriverSettingsLoseXensDrivers() throws {
        let guest = try GuestFiles([
            "/etc/dracut.conf": "#add_drivers+=\" xen-blkfront \"\nadd_drivers+=\" xen-blkfront  raid1\txennet \"\n",
            "/etc/dracut.conf.d/xen.conf": "force_drivers+=\" xen-netfront xenblk \"\n",
            "/etc/dracut.conf.d/other.conf": "add_drivers+=\" raid1 \"\nhostonly=\"yes\"\n",
            "/etc/dracut.conf.d/README": "xen-blkfront\n",
        ])
        let changes = try guest.run(InitrdModulesEdit(), profile: "centos7")
        #expect(
            changes.map(\.path) == [
                "/etc/dracut.conf.d/xen2kvm-virtio.conf", "/etc/dracut.conf", "/etc/dracut.conf.d/xen.conf",
            ])
        #expect(try guest.read("/etc/dracut.conf") == "#add_drivers+=\" xen-blkfront \"\nadd_drivers+=\" raid1 \"\n")
        #expect(
            try guest.read("/etc/dracut.conf.d/xen.conf") == "# xen2kvm: force_drivers+=\" xen-netfront xenblk \"\n")
        #expect(
            changes[1].summary == ["line 2: dropped xen-blkfront xennet (Xen only): no later initramfs carries them"])
    }

    /// Without the drop-in directory, dracut.conf gets both changes in one.
    @Test func dracutConfLosesXenDriversAndGainsVirtio() throws {
        let guest = try GuestFiles(["/etc/dracut.conf": "add_drivers+=\" xen-blkfront \"\n"])
        let changes = try guest.run(InitrdModulesEdit(), profile: "centos6")
        #expect(changes.map(\.path) == ["/etc/dracut.conf"])
        #expect(
            try guest.read("/etc/dracut.conf")
                == "# xen2kvm: add_drivers+=\" xen-blkfront \"\n"
                + "add_drivers+=\" virtio virtio_ring virtio_blk virtio_net virtio_pci \"\n")
    }

    @Test func initrdModulesForInitramfsToolsGuests() throws {
        let guest = try GuestFiles([
            "/etc/debian_version": "12.7\n",
            "/etc/initramfs-tools/modules": "# modules\n# virtio_pci (a comment does not count)\nvirtio_blk\n",
        ])
        let changes = try guest.run(InitrdModulesEdit(), profile: "debian")
        #expect(
            try guest.read("/etc/initramfs-tools/modules")
                == "# modules\n# virtio_pci (a comment does not count)\nvirtio_blk\nvirtio_pci\nvirtio_net\n")
        #expect(changes.first?.summary == ["added virtio_pci, virtio_net: later initrds keep virtio"])

        // No modules file yet: created in the initramfs-tools directory.
        let bare = try GuestFiles([
            "/etc/debian_version": "7.11\n", "/etc/initramfs-tools/initramfs.conf": "MODULES=dep\n",
        ])
        try bare.run(InitrdModulesEdit(), profile: "debian")
        #expect(try bare.read("/etc/initramfs-tools/modules") == "virtio_pci\nvirtio_blk\nvirtio_net\n")
    }

    @Test func staleCachesAreRemoved() throws {
        let guest = try GuestFiles([
            "/etc/blkid/blkid.tab": "<device>/dev/xvda1</device>\n", "/etc/blkid.tab": "<device>/dev/xvda1</device>\n",
            "/etc/lvm/cache/.cache": "persistent_filter_cache { }\n", "/etc/lvm/lvm.conf": "devices { }\n",
            "/etc/lvm/devices/system.devices": "IDTYPE=devname IDNAME=/dev/xvda2 DEVNAME=/dev/xvda2 PVID=x\n",
        ])
        let changes = try guest.run(StaleCacheEdit())
        #expect(
            changes.map(\.path) == [
                "/etc/blkid/blkid.tab", "/etc/blkid.tab", "/etc/lvm/cache/.cache", "/etc/lvm/devices/system.devices",
            ])
        #expect(!guest.exists("/etc/lvm/devices/system.devices"))
        #expect(changes.allSatisfy { $0.after == nil && $0.before != nil })
        #expect(!guest.exists("/etc/blkid/blkid.tab") && !guest.exists("/etc/blkid.tab"))
        #expect(!guest.exists("/etc/lvm/cache/.cache"))
        #expect(guest.exists("/etc/lvm/lvm.conf") && guest.exists("/etc/blkid"))
    }

    @Test(arguments: [
        ("SELINUX=enforcing\n", true), ("SELINUX=permissive\n", true), ("SELINUX=\"Enforcing\"\n", true),
        ("SELINUX=disabled\n", false), ("# SELINUX=enforcing\nSELINUX=disabled\n", false),
        ("SELINUXTYPE=targeted\n", false),
    ])
    func selinuxRelabelOnlyWhenSELinuxIsOn(config: String, relabels: Bool) throws {
        let guest = try GuestFiles(["/etc/selinux/config": config])
        let changes = try guest.run(SELinuxRelabelEdit())
        #expect(changes.count == (relabels ? 1 : 0))
        #expect(guest.exists("/.autorelabel") == relabels)
        if relabels {
            #expect(try guest.read("/.autorelabel") == "")
            #expect(changes[0].before == nil && changes[0].after == "")
        }
    }

    @Test func selinuxRelabelWithoutConfigOrWithTheMarkerAlready() throws {
        #expect(try GuestFiles(["/etc/hostname": "x\n"]).run(SELinuxRelabelEdit()) == [])
        let marked = try GuestFiles(["/etc/selinux/config": "SELINUX=enforcing\n", "/.autorelabel": ""])
        #expect(try marked.run(SELinuxRelabelEdit()) == [])
    }
}
