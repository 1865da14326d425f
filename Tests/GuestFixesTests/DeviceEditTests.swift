import Foundation
import Testing

@testable import GuestFixes

/// fstab, crypttab and resume settings: Xen device names become KVM ones.
@Suite struct DeviceEditTests {
    static let fstab = """
        # /etc/fstab: /dev/xvda1 is the root filesystem
        \t# an indented comment about /dev/xvda3

        /dev/xvda1\t/\text4\tdefaults\t1 1
        UUID=0b6f2c1e-7d4a-4e59-9c3b-5a8d1f2e6c70\t/boot\text2\tdefaults\t1 2
        LABEL=data      /data   ext4    defaults        0 2
        /dev/xvda2      swap    swap    defaults        0 0
        /dev/xvdb1      /srv    xfs     defaults        0 0
        /dev/xvdc       /var    ext4    defaults,nofail 0 0
        proc            /proc   proc    defaults        0 0

        """

    @Test func fstabMapsRootOtherDisksAndCommentsOutVolumesThatWillNotExist() throws {
        let guest = try GuestFiles(["/etc/fstab": Self.fstab])
        let changes = try guest.run(FstabEdit())
        #expect(changes.map(\.path) == ["/etc/fstab"])
        #expect(
            try guest.read("/etc/fstab") == """
                # /etc/fstab: /dev/xvda1 is the root filesystem
                \t# an indented comment about /dev/xvda3

                /dev/vda1\t/\text4\tdefaults\t1 1
                UUID=0b6f2c1e-7d4a-4e59-9c3b-5a8d1f2e6c70\t/boot\text2\tdefaults\t1 2
                LABEL=data      /data   ext4    defaults        0 2
                # xen2kvm: /dev/xvda2      swap    swap    defaults        0 0
                /dev/vdb1      /srv    xfs     defaults        0 0
                /dev/vdc       /var    ext4    defaults,nofail 0 0
                proc            /proc   proc    defaults        0 0

                """)
        let summary = changes[0].summary
        #expect(summary.count == 4)
        #expect(summary[0].hasPrefix("/dev/xvda1 → /dev/vda1 (/ ext4"))
        #expect(summary[1].hasPrefix("commented out /dev/xvda2 (swap swap)"))
        #expect(summary[2] == "/dev/xvdb1 → /dev/vdb1 (/srv xfs)")
        #expect(summary[3] == "/dev/xvdc → /dev/vdc (/var ext4)")
    }

    /// Older Xen configs named a PV guest's disks sda1 or hda1: under KVM they are vda1 all the
    /// same, in fstab and on the kernel line, or the root is never found.
    @Test func scsiAndIDENamesBecomeVirtioNames() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/sda1 / ext3 defaults 1 1\n/dev/hdb1 /srv ext3 defaults 0 0\n",
            "/boot/grub/menu.lst": "title x\n\troot (hd0)\n\tkernel /vmlinuz ro root=/dev/sda1 console=ttyS0\n",
        ])
        try guest.run(FstabEdit())
        try guest.run(GrubLegacyEdit())
        #expect(try guest.read("/etc/fstab") == "/dev/vda1 / ext3 defaults 1 1\n/dev/vdb1 /srv ext3 defaults 0 0\n")
        #expect(
            try guest.read("/boot/grub/menu.lst")
                == "title x\n\troot (hd0,0)\n\tkernel /vmlinuz ro root=/dev/vda1 console=ttyS0\n")
    }

    @Test func fstabFollowsAnExplicitDeviceMap() throws {
        let guest = try GuestFiles(["/etc/fstab": Self.fstab])
        try guest.run(FstabEdit(), deviceMap: ["xvda2": "vdb", "/dev/xvdb": "/dev/vdc", "xvdc": "vdd"])
        let text = try guest.read("/etc/fstab")
        #expect(text.contains("\n/dev/vdb      swap    swap"))
        #expect(text.contains("\n/dev/vdc1      /srv    xfs"))
        #expect(text.contains("\n/dev/vdd       /var    ext4"))
        #expect(!text.contains("# xen2kvm"))
    }

    /// Root by UUID: the root disk is known from the kernel command line, so its other
    /// partitions are still recognised as separate Xen volumes.
    @Test func fstabWithRootByUUIDTakesTheRootDiskFromTheKernelCommandLine() throws {
        let guest = try GuestFiles([
            "/etc/fstab":
                "UUID=6b1f0c4e-2d7a-4e39-9a51-8c3f2e7d1b90 / ext4 defaults 1 1\n/dev/xvda2 swap swap defaults 0 0\n",
            "/boot/grub/menu.lst": "title Linux\n\troot (hd0)\n\tkernel /boot/vmlinuz-4.9 ro root=/dev/xvda1\n",
        ])
        try guest.run(FstabEdit())
        #expect(
            try guest.read("/etc/fstab")
                == "UUID=6b1f0c4e-2d7a-4e39-9a51-8c3f2e7d1b90 / ext4 defaults 1 1\n"
                + "# xen2kvm: /dev/xvda2 swap swap defaults 0 0\n"
        )
    }

    @Test func fstabRootOnTheWholeXenDiskBecomesPartitionOne() throws {
        let guest = try GuestFiles(["/etc/fstab": "/dev/xvda / ext3 defaults 1 1\n/dev/xvdb none swap sw 0 0"])
        try guest.run(FstabEdit())
        #expect(try guest.read("/etc/fstab") == "/dev/vda1 / ext3 defaults 1 1\n/dev/vdb none swap sw 0 0")
    }

    @Test func fstabAlreadyFixedIsLeftAlone() throws {
        let text =
            "/dev/vda1 / ext4 defaults 1 1\n# xen2kvm: /dev/xvda2 swap swap defaults 0 0\nUUID=1 /x ext4 defaults 0 0\n"
        let guest = try GuestFiles(["/etc/fstab": text])
        #expect(try guest.run(FstabEdit()) == [])
        #expect(try guest.read("/etc/fstab") == text)
    }

    @Test func fstabAbsentMeansNoChange() throws {
        let guest = try GuestFiles(["/etc/hostname": "x\n"])
        #expect(try guest.run(FstabEdit()) == [])
    }

    @Test func crypttabRenamesDevicesAndKeyDevices() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/xvda1 / ext4 defaults 1 1\n",
            "/etc/crypttab": """
            # <target name>\t<source device>\t\t<key file>\t<options>
            data_crypt\t/dev/xvdc1\t\tnone\t\tluks,discard
            home_crypt UUID=5c2e8f1a-0b3d-4c6e-9a7f-1d2b3c4e5f60 /dev/xvdd luks,keyscript=/bin/cat
            swap_crypt /dev/xvda2 /dev/urandom swap
            """,
        ])
        let changes = try guest.run(CrypttabEdit())
        #expect(
            try guest.read("/etc/crypttab") == """
                # <target name>\t<source device>\t\t<key file>\t<options>
                data_crypt\t/dev/vdc1\t\tnone\t\tluks,discard
                home_crypt UUID=5c2e8f1a-0b3d-4c6e-9a7f-1d2b3c4e5f60 /dev/vdd luks,keyscript=/bin/cat
                # xen2kvm: swap_crypt /dev/xvda2 /dev/urandom swap
                """)
        #expect(changes.first?.summary.count == 3)
        #expect(changes.first?.summary.first == "/dev/xvdc1 → /dev/vdc1 (data_crypt)")
    }

    @Test func resumeOnAMappedSwapDeviceIsRenamed() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/xvda1 / ext4 defaults 1 1\n/dev/xvdb1 none swap sw 0 0\n",
            "/etc/initramfs-tools/conf.d/resume": "# written by the installer\nRESUME=\"/dev/xvdb1\"\n",
            "/etc/uswsusp.conf": "# uswsusp\nresume device = /dev/xvdb1\ncompress = y\n",
        ])
        let changes = try guest.run(ResumeEdit())
        #expect(changes.map(\.path) == ["/etc/initramfs-tools/conf.d/resume", "/etc/uswsusp.conf"])
        #expect(
            try guest.read("/etc/initramfs-tools/conf.d/resume") == "# written by the installer\nRESUME=\"/dev/vdb1\"\n"
        )
        #expect(try guest.read("/etc/uswsusp.conf") == "# uswsusp\nresume device = /dev/vdb1\ncompress = y\n")
        #expect(changes[0].summary == ["/dev/xvdb1 → /dev/vdb1"])
    }

    /// A resume device that will not exist: commented out, and initramfs-tools told `none` so it
    /// neither waits for it nor picks the host's swap when the initrd is rebuilt in a chroot.
    @Test func resumeOnASeparateXenVolumeIsTurnedOff() throws {
        let guest = try GuestFiles([
            "/etc/fstab": "/dev/xvda1 / ext4 defaults 1 1\n",
            "/etc/initramfs-tools/conf.d/resume": "RESUME=/dev/xvda2\n",
            "/etc/uswsusp.conf": "resume device : /dev/xvda2\n",
        ])
        try guest.run(ResumeEdit())
        #expect(try guest.read("/etc/initramfs-tools/conf.d/resume") == "# xen2kvm: RESUME=/dev/xvda2\nRESUME=none\n")
        #expect(try guest.read("/etc/uswsusp.conf") == "# xen2kvm: resume device : /dev/xvda2\n")
    }

    @Test func resumeByUUIDIsLeftAlone() throws {
        let guest = try GuestFiles(["/etc/initramfs-tools/conf.d/resume": "RESUME=UUID=0b6f2c1e-7d4a\n"])
        #expect(try guest.run(ResumeEdit()) == [])
    }

    /// Disks besides vda that the fixed fstab expects are named in a warning, in order.
    @Test func otherDisksTheGuestExpectsAreWarnedAbout() throws {
        let guest = try GuestFiles(["/etc/fstab": Self.fstab])
        let warnings = OtherDisks.warnings(guest.context(deviceMap: ["xvdb": "vdb", "xvdc": "vdc"]))
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.first?.hasPrefix("fstab expects /dev/vdb1 (/srv xfs), once /dev/xvdb1: attach") == true)
        #expect(warnings.last?.contains("/dev/vdc (/var ext4)") == true && warnings.last?.contains("mkswap") != true)
    }
}
