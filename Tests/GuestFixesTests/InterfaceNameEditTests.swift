import Foundation
import GuestFixes
import TestSupport
import Testing

@testable import Inspection

/// A guest whose network configs name eth0 and whose udev names NICs by slot keeps eth0 under
/// KVM through `net.ifnames=0 biosdevname=0`; any other guest's command line is left alone.
@Suite struct InterfaceNameEditTests {
    static let slotNaming = "/usr/lib/udev/rules.d/80-net-setup-link.rules"
    static let grubDefaults = "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=\"console=hvc0\"\n"

    static func guest(_ extra: [String: String], symlinks: [String: String] = [:]) throws -> GuestFiles {
        try GuestFiles(
            ["/etc/default/grub": grubDefaults, slotNaming: "# systemd\n"].merging(extra) { $1 }, symlinks: symlinks)
    }

    @Test(arguments: [
        ("/etc/network/interfaces", "auto lo\niface lo inet loopback\nallow-hotplug eth0\niface eth0 inet dhcp\n"),
        ("/etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nONBOOT=yes\n"),
        ("/etc/netplan/50-cloud-init.yaml", "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n"),
        ("/etc/systemd/network/10-eth0.network", "[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n"),
        ("/etc/systemd/network/99-wired.network", "# any wired NIC\n[Match]\nName=eth*\n[Network]\nDHCP=yes\n"),
        (
            "/etc/NetworkManager/system-connections/System eth0.nmconnection",
            "[connection]\nid=System eth0\ntype=ethernet\ninterface-name=eth0\n"
        ),
    ])
    func ethConfigsGetTheOldNames(file: String, text: String) throws {
        let guest = try Self.guest([file: text])
        #expect(guest.context().guest.config.ethConfigsUnderSlotNames == [file])
        try guest.run(Grub2DefaultEdit())
        #expect(
            try guest.read("/etc/default/grub").contains(
                "GRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200 net.ifnames=0 biosdevname=0\""))
    }

    /// inspect warns before the fixes and not after them.
    @Test func theWarningGoesOnceTheFixesRan() throws {
        let directory = try TemporaryDirectory()
        let tree = directory.file("guest")
        try FileManager.default.copyItem(atPath: Fixtures.tree("debian12-grub2"), toPath: tree)
        let root = try GuestRoot(path: tree)
        func codes() -> [String] { GuestChecks.findings(for: GuestInspector.inspect(root)).map(\.code) }
        #expect(codes().contains("interface-names"))
        let context = FixContext(guest: GuestInspector.inspect(root), profile: "debian")
        try GuestEdits.apply(try GuestEdits.plan(root, context: context), to: root)
        #expect(!codes().contains("interface-names"), "\(codes())")
    }

    @Test func otherGuestsKeepTheirCommandLine() throws {
        let cases: [GuestFiles] = [
            // Only ens3 or "ethernets" (a netplan key, not an interface) configured.
            try Self.guest(["/etc/network/interfaces": "auto ens3\niface ens3 inet dhcp\n"]),
            try Self.guest(["/etc/netplan/01.yaml": "network:\n  ethernets:\n    ens3:\n      dhcp4: true\n"]),
            // No slot naming (udev before systemd 197: CentOS 6, Debian 7) …
            try GuestFiles(["/etc/default/grub": Self.grubDefaults, "/etc/network/interfaces": "auto eth0\n"]),
            // … or turned off by the usual link to /dev/null.
            try Self.guest(
                ["/etc/network/interfaces": "auto eth0\n"],
                symlinks: ["/etc/udev/rules.d/80-net-setup-link.rules": "/dev/null"]),
        ]
        for guest in cases {
            #expect(guest.context().guest.config.ethConfigsUnderSlotNames.isEmpty)
            try guest.run(Grub2DefaultEdit())
            #expect(!(try guest.read("/etc/default/grub")).contains("net.ifnames"))
        }
    }

    @Test func aChoiceAlreadyMadeIsKept() throws {
        let guest = try Self.guest([
            "/etc/network/interfaces": "auto eth0\n",
            "/etc/default/grub": "GRUB_CMDLINE_LINUX=\"net.ifnames=1 console=hvc0\"\n",
        ])
        try guest.run(Grub2DefaultEdit())
        #expect(
            try guest.read("/etc/default/grub").hasPrefix(
                "GRUB_CMDLINE_LINUX=\"net.ifnames=1 console=tty0 console=ttyS0,115200\"\n"))
    }

    @Test func aMissingCommandLineVariableIsAdded() throws {
        let guest = try Self.guest([
            "/etc/network/interfaces": "auto eth0\n", "/etc/default/grub": "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n",
        ])
        try guest.run(Grub2DefaultEdit())
        let text = try guest.read("/etc/default/grub")
        #expect(text.contains("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"))
        #expect(text.contains("GRUB_CMDLINE_LINUX=\"net.ifnames=0 biosdevname=0 console=tty0 console=ttyS0,115200\"\n"))
    }

    @Test func grubLegacyKernelLinesAndKoptGetThem() throws {
        let guest = try Self.guest([
            "/etc/network/interfaces": "allow-hotplug eth0\n",
            "/boot/grub/menu.lst": """
            # kopt=root=/dev/xvda1 ro console=hvc0
            # defoptions=quiet
            default 0
            title Debian
            root (hd0)
            kernel /boot/vmlinuz-6.1.0-26-amd64 root=/dev/xvda1 ro console=hvc0

            """,
        ])
        try guest.run(GrubLegacyEdit())
        let text = try guest.read("/boot/grub/menu.lst")
        #expect(
            text.contains("# kopt=root=/dev/vda1 ro console=tty0 console=ttyS0,115200 net.ifnames=0 biosdevname=0\n"))
        #expect(text.contains("# defoptions=quiet\n"))
        #expect(
            text.contains(
                "kernel /boot/vmlinuz-6.1.0-26-amd64 root=/dev/vda1 ro console=tty0 console=ttyS0,115200 "
                    + "net.ifnames=0 biosdevname=0\n"))
    }
}
