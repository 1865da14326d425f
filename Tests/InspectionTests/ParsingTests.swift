import Testing

@testable import Inspection

@Suite struct ParsingTests {
    @Test func redHatReleaseLines() {
        #expect(DistroDetector.parseRedHatRelease("CentOS release 5.11 (Final)") == ("centos", "5.11"))
        #expect(DistroDetector.parseRedHatRelease("CentOS Linux release 7.9.2009 (Core)") == ("centos", "7.9.2009"))
        #expect(
            DistroDetector.parseRedHatRelease("Red Hat Enterprise Linux Server release 6.4 (Santiago)")
                == ("rhel", "6.4"))
        #expect(DistroDetector.parseRedHatRelease("something else") == ("unknown", ""))
        #expect(DistroDetector.parseRedHatRelease("Rocky Linux release 9.3 (Blue Onyx)") == ("rocky", "9.3"))
        #expect(DistroDetector.parseRedHatRelease("AlmaLinux release 8.9 (Midnight Oncilla)") == ("almalinux", "8.9"))
        #expect(DistroDetector.parseRedHatRelease("CentOS Stream release 9") == ("centos", "9"))
    }

    /// SLES 11 and older openSUSE have /etc/SuSE-release and no os-release.
    @Test func suseReleaseFiles() {
        let sles = DistroDetector.parseSuSERelease(
            "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n")
        #expect(sles == ("sles", "11.4", "SUSE Linux Enterprise Server 11 (x86_64)"))
        #expect(
            DistroDetector.parseSuSERelease("SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 0\n")
                .version == "11")
        #expect(
            DistroDetector.parseSuSERelease("openSUSE 13.1 (x86_64)\nVERSION = 13.1\nCODENAME = Bottle\n").id
                == "opensuse")
        #expect(
            DistroDetector.parseSuSERelease("SUSE Linux Enterprise Desktop 11 (x86_64)\nVERSION = 11\n").id == "sled")
    }

    @Test func osReleaseQuotes() {
        let fields = DistroDetector.parseOSRelease(
            "ID=debian\nVERSION_ID=\"12\"\n# comment\nPRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\n")
        #expect(fields["ID"] == "debian")
        #expect(fields["VERSION_ID"] == "12")
        #expect(fields["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)")
    }

    @Test func xenDeviceNames() {
        func names(_ text: String) -> [String] { XenDeviceName.occurrences(in: text).map(\.name) }
        #expect(names("root=/dev/xvda1 resume=/dev/xvdb") == ["xvda1", "xvdb"])
        #expect(names("/dev/xvdaa3 xvdc") == ["xvdaa3", "xvdc"])
        #expect(names("noxvda1 xvd 123xvda") == [])
        // Older Xen configs gave PV guests SCSI and IDE names; grub's hd0 is no disk name.
        #expect(names("root=/dev/sda1 /dev/hdb2 (hd0) usda1 sd") == ["sda1", "hdb2"])
        #expect(XenDeviceName("sdb2").map { $0.kvmDisk + $0.partition } == "vdb2")
        #expect(XenDeviceName("hda").map { $0.kvmDisk + $0.partition } == "vda")
    }

    @Test func fstabFieldsAndComments() {
        let entries = FstabReader.parse([
            "# /etc/fstab", "", "/dev/xvda1 /  ext3 defaults 1 1 # root", "UUID=abc\tnone\tswap\tsw",
            "proc /proc",
        ])
        #expect(entries.map(\.device) == ["/dev/xvda1", "UUID=abc", "proc"])
        #expect(entries[0].line == 3 && entries[0].pass == 1 && entries[0].type == "ext3")
        #expect(entries[1].options == "sw" && entries[1].dump == 0)
        #expect(entries[2].type == "auto" && entries[2].options == "defaults")
    }

    @Test func grubLegacyDefaultAndPartitionlessRoot() {
        var facts = BootloaderFacts(
            kind: .grubLegacy, configFiles: [], commandLines: [], defaultKernel: nil, partitionlessRoot: [])
        BootloaderScanner.readLegacy(
            path: "/boot/grub/grub.conf",
            lines: [
                "default=1", "title xen", "\troot (hd0)", "\tkernel /boot/vmlinuz-xen ro root=/dev/xvda1",
                "title plain", "\troot (hd0,0)", "\tkernel /boot/vmlinuz-plain ro root=/dev/xvda1 console=xvc0",
                "# kopt=root=/dev/xvda1 ro",
            ],
            into: &facts)
        #expect(facts.defaultKernel == "/boot/vmlinuz-plain")
        #expect(facts.partitionlessRoot == [Location(file: "/boot/grub/grub.conf", line: 3)])
        #expect(
            facts.commandLines.map(\.arguments) == [
                "ro root=/dev/xvda1", "ro root=/dev/xvda1 console=xvc0", "root=/dev/xvda1 ro",
            ])
    }

    @Test func grub2LinuxLinesAndDefaults() {
        var facts = BootloaderFacts(
            kind: .grub2, configFiles: [], commandLines: [], defaultKernel: nil, partitionlessRoot: [])
        BootloaderScanner.readGrubCfg(
            path: "/boot/grub2/grub.cfg",
            lines: ["menuentry 'x' {", "\tlinux16 /vmlinuz-3.10 root=/dev/xvda1 ro console=hvc0", "}"],
            into: &facts)
        BootloaderScanner.readDefaultGrub(
            path: "/etc/default/grub", lines: ["GRUB_CMDLINE_LINUX=\"console=hvc0 crashkernel=auto\""],
            into: &facts)
        #expect(facts.commandLines.map(\.kernel) == ["/vmlinuz-3.10", nil])
        #expect(
            facts.commandLines.map(\.arguments) == ["root=/dev/xvda1 ro console=hvc0", "console=hvc0 crashkernel=auto"])
    }
}
