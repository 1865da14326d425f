import Foundation
import GuestFixes
import Testing

/// grub legacy menus, /etc/default/grub and grub.cfg.
@Suite struct BootloaderEditTests {
    /// An EL5 guest with kernel-xen as the default and a normal kernel second.
    static let el5Files = [
        "/etc/fstab": "/dev/xvda1 / ext3 defaults 1 1\n/dev/xvda2 swap swap defaults 0 0\n",
        "/boot/vmlinuz-2.6.18-419.el5xen": "stand-in\n",
        "/boot/config-2.6.18-419.el5xen": "CONFIG_X86_64_XEN=y\n",
        "/boot/vmlinuz-2.6.18-419.el5": "stand-in\n",
        "/boot/config-2.6.18-419.el5": "# CONFIG_X86_64_XEN is not set\n",
        "/boot/grub/grub.conf": """
        # kernel /vmlinuz ro root=/dev/xvda1 console=xvc0 (a plain comment: left alone)
        #boot=/dev/xvda
        default=0
        timeout=5
        splashimage=(hd0)/boot/grub/splash.xpm.gz
        title CentOS (2.6.18-419.el5xen)
        \troot (hd0)
        \tkernel /boot/vmlinuz-2.6.18-419.el5xen ro root=/dev/xvda1 console=xvc0 xencons=xvc resume=/dev/xvda2 rhgb
        \tinitrd /boot/initrd-2.6.18-419.el5xen.img
        title CentOS (2.6.18-419.el5)
        \troot (hd0)
        \tkernel /boot/vmlinuz-2.6.18-419.el5 ro root=/dev/xvda1 console=tty0 console=hvc0
        \tinitrd /boot/initrd-2.6.18-419.el5.img

        """,
    ]

    @Test func grubLegacyFixesEntriesAndPicksANonXenDefault() throws {
        let guest = try GuestFiles(
            Self.el5Files,
            symlinks: ["/boot/grub/menu.lst": "./grub.conf", "/etc/grub.conf": "../boot/grub/grub.conf"])
        let changes = try guest.run(GrubLegacyEdit())
        // One change for the one file, under its regular name; the links stay links.
        #expect(changes.map(\.path) == ["/boot/grub/grub.conf"])
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: guest.path + "/boot/grub/menu.lst")
                == "./grub.conf")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: guest.path + "/etc/grub.conf")
                == "../boot/grub/grub.conf")
        #expect(
            try guest.read("/boot/grub/grub.conf") == """
                # kernel /vmlinuz ro root=/dev/xvda1 console=xvc0 (a plain comment: left alone)
                #boot=/dev/vda
                default=1
                timeout=5
                splashimage=(hd0,0)/boot/grub/splash.xpm.gz
                title CentOS (2.6.18-419.el5xen)
                \troot (hd0,0)
                \tkernel /boot/vmlinuz-2.6.18-419.el5xen ro root=/dev/vda1 console=tty0 console=ttyS0,115200 rhgb
                \tinitrd /boot/initrd-2.6.18-419.el5xen.img
                title CentOS (2.6.18-419.el5)
                \troot (hd0,0)
                \tkernel /boot/vmlinuz-2.6.18-419.el5 ro root=/dev/vda1 console=tty0 console=ttyS0,115200
                \tinitrd /boot/initrd-2.6.18-419.el5.img

                """)
        #expect(changes[0].summary.contains { $0.hasPrefix("default 0 → 1: entry 0 boots the Xen-only kernel") })
        #expect(changes[0].summary.contains { $0.contains("dropped resume=/dev/xvda2") })
    }

    /// With an older normal kernel listed before a newer one after the Xen one, the default goes
    /// to the newer: the kernel DEFAULTKERNEL and the grub2 default are chosen from (BestKernel),
    /// not the first that is not Xen-only.
    @Test func grubLegacyDefaultIsTheBestKernel() throws {
        var files = Self.el5Files
        files["/boot/vmlinuz-2.6.18-398.el5"] = "stand-in\n"
        files["/boot/config-2.6.18-398.el5"] = "# CONFIG_X86_64_XEN is not set\n"
        files["/boot/grub/grub.conf"] = """
            default=0
            title CentOS (2.6.18-419.el5xen)
            \troot (hd0)
            \tkernel /boot/vmlinuz-2.6.18-419.el5xen ro root=/dev/xvda1
            title CentOS (2.6.18-398.el5)
            \troot (hd0)
            \tkernel /boot/vmlinuz-2.6.18-398.el5 ro root=/dev/xvda1
            title CentOS (2.6.18-419.el5)
            \troot (hd0)
            \tkernel /boot/vmlinuz-2.6.18-419.el5 ro root=/dev/xvda1

            """
        let guest = try GuestFiles(files)
        let changes = try guest.run(GrubLegacyEdit())
        #expect(try guest.read("/boot/grub/grub.conf").hasPrefix("default=2\n"))
        #expect(changes.first?.summary.contains { $0.hasPrefix("default 0 → 2:") } == true, "\(changes)")
    }

    static let xenThenKVM =
        "title xen\n\tkernel /boot/vmlinuz-2.6.18-419.el5xen ro console=ttyS0\ntitle kvm\n"
        + "\tkernel /boot/vmlinuz-2.6.18-419.el5 ro console=ttyS0\n"

    @Test func grubLegacyWithoutDefaultLineGetsOneWhenEntryZeroIsXenOnly() throws {
        var files = Self.el5Files
        files["/boot/grub/grub.conf"] =
            Self.xenThenKVM
        let guest = try GuestFiles(files)
        try guest.run(GrubLegacyEdit())
        #expect(
            try guest.read("/boot/grub/grub.conf")
                == "default=1\n" + Self.xenThenKVM
        )
    }

    @Test func grubLegacyKeepsADefaultThatBootsAKVMKernelOrIsSaved() throws {
        for value in ["1", "saved"] {
            var files = Self.el5Files
            files["/boot/grub/grub.conf"] =
                "default \(value)\n" + Self.xenThenKVM
            let guest = try GuestFiles(files)
            #expect(try guest.run(GrubLegacyEdit()) == [])
        }
    }

    /// Debian's update-grub settings live in comments and are written back into every entry.
    @Test func grubLegacyEditsDebianOptionComments() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/xvda1 / ext3 errors=remount-ro 0 1\n",
            "/boot/grub/menu.lst": """
            default\t\t0
            ## kernel options for every entry
            # kopt=root=/dev/xvda1 ro console=hvc0 xencons=tty
            # defoptions=console=hvc0 quiet
            # xenkopt=console=tty0
            # groot=(hd0)
            ## the disk is (hd0) with root=/dev/xvda1

            title\t\tDebian
            root\t\t(hd0)
            kernel\t\t/boot/vmlinuz-3.2.0-6-amd64 root=/dev/xvda1 ro console=hvc0
            """,
        ])
        try guest.run(GrubLegacyEdit())
        #expect(
            try guest.read("/boot/grub/menu.lst") == """
                default\t\t0
                ## kernel options for every entry
                # kopt=root=/dev/vda1 ro console=tty0 console=ttyS0,115200
                # defoptions=console=tty0 console=ttyS0,115200 quiet
                # xenkopt=console=tty0
                # groot=(hd0,0)
                ## the disk is (hd0) with root=/dev/xvda1

                title\t\tDebian
                root\t\t(hd0,0)
                kernel\t\t/boot/vmlinuz-3.2.0-6-amd64 root=/dev/vda1 ro console=tty0 console=ttyS0,115200
                """)
    }

    /// menu.lst linking to a file under another name is edited through the link, once.
    @Test func grubLegacyEditsThroughALinkToAnotherName() throws {
        let guest = try GuestFiles(
            ["/boot/grub/pygrub.conf": "title x\n\troot (hd0)\n\tkernel /vmlinuz root=/dev/xvda1\n"],
            symlinks: ["/boot/grub/menu.lst": "/boot/grub/pygrub.conf", "/boot/grub/grub.conf": "pygrub.conf"])
        let changes = try guest.run(GrubLegacyEdit())
        #expect(changes.map(\.path) == ["/boot/grub/menu.lst"])
        #expect(
            try guest.read("/boot/grub/pygrub.conf")
                == "title x\n\troot (hd0,0)\n\tkernel /vmlinuz root=/dev/vda1 console=tty0 console=ttyS0,115200\n")
    }

    @Test func grubLegacyDeviceMapNamesTheKVMDisk() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/xvda1 / ext3 defaults 1 1\n",
            "/boot/grub/device.map":
                "# this device map was written by anaconda\n(fd0)\t/dev/fd0\n(hd0)     /dev/xvda\n(hd1) /dev/xvdb\n",
        ])
        let changes = try guest.run(GrubLegacyEdit())
        #expect(
            try guest.read("/boot/grub/device.map")
                == "# this device map was written by anaconda\n(fd0)\t/dev/fd0\n(hd0)     /dev/vda\n(hd1) /dev/vdb\n")
        #expect(changes.first?.summary == ["(hd0) /dev/xvda → /dev/vda", "(hd1) /dev/xvdb → /dev/vdb"])
    }

    @Test func grubLegacyAlreadyFixedIsLeftAlone() throws {
        let guest = try GuestFiles([
            "/boot/grub/menu.lst":
                "default 0\ntitle x\n\troot (hd0,0)\n\tkernel /vmlinuz ro root=/dev/vda1 console=ttyS0,115200\n"
        ])
        #expect(try guest.run(GrubLegacyEdit()) == [])
    }

    @Test func grub2DefaultsSetTheSerialConsole() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/xvda1 / ext4 defaults 1 1\n",
            "/etc/default/grub": """
            GRUB_DEFAULT=0
            GRUB_TERMINAL_OUTPUT="console"
            GRUB_CMDLINE_LINUX_DEFAULT='quiet root=/dev/xvda1 xencons=tty'
            GRUB_CMDLINE_LINUX="console=hvc0 crashkernel=auto"
            #GRUB_TERMINAL=console
            GRUB_TERMINAL=console
            GRUB_DISABLE_RECOVERY="true"
            """,
        ])
        let changes = try guest.run(Grub2DefaultEdit())
        #expect(
            try guest.read("/etc/default/grub") == """
                GRUB_DEFAULT=0
                GRUB_TERMINAL_OUTPUT="console"
                GRUB_CMDLINE_LINUX_DEFAULT='quiet root=/dev/vda1'
                GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200 crashkernel=auto"
                #GRUB_TERMINAL=console
                GRUB_TERMINAL="console serial"
                GRUB_DISABLE_RECOVERY="true"
                GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"

                """)
        #expect(changes.first?.summary.count == 4)
    }

    /// EL7+'s /etc/sysconfig/grub: a symlink to /etc/default/grub is one file, edited once and
    /// left a symlink; a separate file (a `sed -i` broke the link) is edited too.
    @Test func grub2DefaultsEditSysconfigGrubOnceOrBoth() throws {
        let settings = "GRUB_CMDLINE_LINUX=\"console=hvc0\"\n"
        let edited = """
            GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"
            GRUB_TERMINAL="console serial"
            GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"

            """
        let linked = try GuestFiles(
            ["/etc/default/grub": settings], symlinks: ["/etc/sysconfig/grub": "../default/grub"])
        #expect(try linked.run(Grub2DefaultEdit()).map(\.path) == ["/etc/default/grub"])
        #expect(try linked.read("/etc/default/grub") == edited)
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: linked.path + "/etc/sysconfig/grub")
        #expect(link == "../default/grub")

        let separate = try GuestFiles(["/etc/default/grub": settings, "/etc/sysconfig/grub": settings])
        #expect(try separate.run(Grub2DefaultEdit()).map(\.path) == ["/etc/default/grub", "/etc/sysconfig/grub"])
        #expect(try separate.read("/etc/sysconfig/grub") == edited)
        // Only the sysconfig name: EL's settings all the same.
        let only = try GuestFiles(["/etc/sysconfig/grub": settings])
        #expect(try only.run(Grub2DefaultEdit()).map(\.path) == ["/etc/sysconfig/grub"])
    }

    /// grub-mkconfig lists the newest kernel first; when that one is Xen-only, grub.cfg must boot
    /// saved_entry, which the helper points at the chosen kernel. One kernel, or the newest being
    /// the chosen one: GRUB_DEFAULT stays.
    @Test func grub2DefaultsSaveTheDefaultWhenAXenKernelIsListedFirst() throws {
        let files = [
            "/etc/default/grub": "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"console=ttyS0,115200\"\n",
            "/boot/vmlinuz-4.4.180-102-default": "k", "/boot/config-4.4.180-102-default": "CONFIG_VIRTIO_BLK=y\n",
            "/boot/vmlinuz-4.4.180-102-xen": "k", "/boot/config-4.4.180-102-xen": "CONFIG_X86_64_XEN=y\n",
        ]
        let guest = try GuestFiles(files)
        let changes = try guest.run(Grub2DefaultEdit())
        #expect(try guest.read("/etc/default/grub").hasPrefix("GRUB_DEFAULT=saved\n"))
        #expect(
            changes.first?.summary.first
                == "GRUB_DEFAULT=0 → GRUB_DEFAULT=saved: grub-mkconfig lists 4.4.180-102-xen first, the helper "
                + "makes 4.4.180-102-default the saved default")
        var newestFirst = files
        newestFirst["/boot/config-4.4.180-102-xen"] = nil
        newestFirst["/boot/vmlinuz-4.4.180-102-xen"] = nil
        newestFirst["/boot/vmlinuz-4.4.180-1-default"] = "k"
        let kept = try GuestFiles(newestFirst)
        try kept.run(Grub2DefaultEdit())
        #expect(try kept.read("/etc/default/grub").hasPrefix("GRUB_DEFAULT=0\n"))
    }

    @Test func grub2DefaultsKeepAConsoleAlreadyPresent() throws {
        let guest = try GuestFiles([
            "/etc/default/grub": "GRUB_CMDLINE_LINUX=\"console=tty0 console=hvc0\"\n"
        ])
        try guest.run(Grub2DefaultEdit())
        #expect(
            try guest.read("/etc/default/grub") == """
                GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"
                GRUB_TERMINAL="console serial"
                GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"

                """)
    }

    /// A Xen PV guest always had a console, hvc0 even when no file names it: Debian's package
    /// default /etc/default/grub names none, and grub-mkconfig would write kernel lines that
    /// show nothing on the serial port. Every command line that reaches all kernels names it.
    @Test func grub2DefaultsWithoutAConsoleGetTheSerialOne() throws {
        let cases: [(given: String, expected: String)] = [
            (
                "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n",
                "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200\"\n"
            ),
            // Missing altogether: added.
            (
                "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n",
                "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200\"\n"
            ),
            // The screen only: the serial port joins it, last, so it is /dev/console.
            (
                "GRUB_CMDLINE_LINUX=\"console=tty0 ro\"\n",
                "GRUB_CMDLINE_LINUX=\"console=tty0 ro console=ttyS0,115200\"\n"
            ),
            // The default entries' own line names it: nothing added.
            (
                "GRUB_CMDLINE_LINUX_DEFAULT=\"console=ttyS0,115200\"\nGRUB_CMDLINE_LINUX=\"\"\n",
                "GRUB_CMDLINE_LINUX_DEFAULT=\"console=ttyS0,115200\"\nGRUB_CMDLINE_LINUX=\"\"\n"
            ),
        ]
        let terminal = "GRUB_TERMINAL=\"console serial\"\nGRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\"\n"
        for (given, expected) in cases {
            let guest = try GuestFiles(["/etc/default/grub": given])
            try guest.run(Grub2DefaultEdit())
            #expect(try guest.read("/etc/default/grub") == expected + terminal, "from \(given)")
        }
    }

    /// Ubuntu's cloud images set the terminal in /etc/default/grub.d, read after
    /// /etc/default/grub: what a drop-in names gets the same edits, and nothing is appended.
    @Test func grubDropInsAreEditedWhereTheyOverride() throws {
        let guest = try GuestFiles([
            "/etc/default/grub": "GRUB_CMDLINE_LINUX=\"console=hvc0\"\n",
            "/etc/default/grub.d/50-cloudimg-settings.cfg":
                "GRUB_TERMINAL=console\nGRUB_CMDLINE_LINUX_DEFAULT=\"console=tty1 console=hvc0\"\n",
            "/etc/default/grub.d/init-select.cfg": "GRUB_RECORDFAIL_TIMEOUT=0\n",
        ])
        let changes = try guest.run(Grub2DefaultEdit())
        #expect(changes.map(\.path) == ["/etc/default/grub", "/etc/default/grub.d/50-cloudimg-settings.cfg"])
        #expect(
            try guest.read("/etc/default/grub.d/50-cloudimg-settings.cfg")
                == "GRUB_TERMINAL=\"console serial\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"console=tty1 console=tty0 "
                + "console=ttyS0,115200\"\n")
    }

    /// Kernel lines in grub.cfg and menu.lst get it too (the guest may never run grub-mkconfig),
    /// and Debian's `# kopt=`; memtest86+ and the per-entry option comments do not.
    @Test func kernelLinesWithoutAConsoleGetTheSerialOne() throws {
        let guest = try GuestFiles([
            "/boot/grub/grub.cfg":
                "\tlinux /boot/vmlinuz-6.1 root=/dev/vda1 ro quiet\n\tlinux16 /boot/memtest86+x64.bin\n",
            "/boot/grub/menu.lst":
                "# kopt=root=/dev/vda1 ro\n# defoptions=quiet\ntitle x\n\tkernel /vmlinuz root=/dev/vda1\n",
        ])
        try guest.run(Grub2ConfigEdit())
        try guest.run(GrubLegacyEdit())
        #expect(
            try guest.read("/boot/grub/grub.cfg")
                == "\tlinux /boot/vmlinuz-6.1 root=/dev/vda1 ro quiet console=tty0 console=ttyS0,115200\n"
                + "\tlinux16 /boot/memtest86+x64.bin\n")
        #expect(
            try guest.read("/boot/grub/menu.lst")
                == "# kopt=root=/dev/vda1 ro console=tty0 console=ttyS0,115200\n# defoptions=quiet\ntitle x\n"
                + "\tkernel /vmlinuz root=/dev/vda1 console=tty0 console=ttyS0,115200\n")
    }

    @Test func grub2DefaultsAlreadyFixedAreLeftAlone() throws {
        let guest = try GuestFiles([
            "/etc/default/grub": """
            GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"
            GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
            GRUB_TERMINAL="console serial"

            """
        ])
        #expect(try guest.run(Grub2DefaultEdit()) == [])
    }

    static let grubCfg = """
        # 'hd0' in a comment stays
        set root='hd0'
        search --no-floppy --fs-uuid --set=root --hint-bios=hd0 --hint='hd0'  6b1f
        menuentry 'Linux' {
        \tset root='hd0,msdos1'
        \tlinux16 /boot/vmlinuz-3.10 root=/dev/xvda1 ro console=hvc0 crashkernel=auto
        \tinitrd16 /boot/initramfs-3.10.img
        }
        menuentry 'Other' {
        \tlinux\t(hd0)/boot/vmlinuz-6.1 root=/dev/xvda1 ro single console=xvc0
        \tlinuxefi /boot/vmlinuz-6.1 root=UUID=9e2d ro xencons=tty quiet
        \techo 'shd0, hd01 and hd0x stay'
        }

        """

    @Test func grub2ConfigEditsLinuxLinesAndNamesThePartition() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/xvda1 / ext4 defaults 1 1\n", "/boot/grub2/grub.cfg": Self.grubCfg,
        ])
        let changes = try guest.run(Grub2ConfigEdit())
        #expect(changes.map(\.path) == ["/boot/grub2/grub.cfg"])
        #expect(
            try guest.read("/boot/grub2/grub.cfg") == """
                # 'hd0' in a comment stays
                set root='hd0,msdos1'
                search --no-floppy --fs-uuid --set=root --hint-bios=hd0,msdos1 --hint='hd0,msdos1'  6b1f
                menuentry 'Linux' {
                \tset root='hd0,msdos1'
                \tlinux16 /boot/vmlinuz-3.10 root=/dev/vda1 ro console=tty0 console=ttyS0,115200 crashkernel=auto
                \tinitrd16 /boot/initramfs-3.10.img
                }
                menuentry 'Other' {
                \tlinux\t(hd0,msdos1)/boot/vmlinuz-6.1 root=/dev/vda1 ro single console=tty0 console=ttyS0,115200
                \tlinuxefi /boot/vmlinuz-6.1 root=UUID=9e2d ro quiet console=tty0 console=ttyS0,115200
                \techo 'shd0, hd01 and hd0x stay'
                }

                """)
    }

    @Test func grub2ConfigUnderTwoNamesIsEditedOnce() throws {
        let guest = try GuestFiles(
            ["/boot/grub2/grub.cfg": Self.grubCfg], symlinks: ["/boot/grub/grub.cfg": "../grub2/grub.cfg"])
        let changes = try guest.run(Grub2ConfigEdit())
        #expect(changes.map(\.path) == ["/boot/grub2/grub.cfg"])
    }
}
