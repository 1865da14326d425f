import Foundation
import Inspection
import Testing

@testable import GuestFixes

/// The BLS entries, grubenv and /etc/kernel/cmdline of EL8+ guests, on small trees.
@Suite struct BootLoaderSpecEditTests {
    static func grubenv(_ lines: [String]) -> String {
        let body = "# GRUB Environment Block\n" + lines.map { $0 + "\n" }.joined()
        return body + String(repeating: "#", count: 1024 - body.utf8.count)
    }

    @Test func grubenvKeepsItsSizeAndAnOverlongLineIsLeftAlone() throws {
        let guest = try GuestFiles([
            BootLoaderSpec.grubenv: Self.grubenv(["saved_entry=x", "kernelopts=root=/dev/xvda1 ro console=hvc0"])
        ])
        let changes = try guest.run(BootLoaderSpecEdit(), profile: "el8")
        #expect(changes.count == 1)
        let after = try guest.read(BootLoaderSpec.grubenv)
        #expect(after.utf8.count == 1024)
        #expect(after.contains("\nkernelopts=root=/dev/vda1 ro console=tty0 console=ttyS0,115200\n"))

        let long = "kernelopts=root=/dev/xvda1 " + String(repeating: "quiet ", count: 160)
        let full = "# GRUB Environment Block\n" + long + "\n"
        let overlong = try GuestFiles([BootLoaderSpec.grubenv: full + String(repeating: "#", count: 1024 - full.count)])
        #expect(try overlong.run(BootLoaderSpecEdit(), profile: "el8").isEmpty)
    }

    /// `$kernelopts` brings grubenv's console: the entry gets no second one, but its own words
    /// are still renamed; an entry with empty options gets the serial console.
    @Test func entriesThatTakeKerneloptsGetNoConsoleOfTheirOwn() throws {
        let entries = BootLoaderSpec.entries
        let guest = try GuestFiles([
            "\(entries)/a.conf": "title A\nlinux /vmlinuz-a\noptions $kernelopts resume=/dev/xvdb1\n",
            "\(entries)/b.conf": "title B\nlinux /vmlinuz-b\noptions\n",
        ])
        try guest.run(BootLoaderSpecEdit(), profile: "el8")
        #expect(try guest.read("\(entries)/a.conf").contains("\noptions $kernelopts resume=/dev/vdb1\n"))
        #expect(try guest.read("\(entries)/b.conf").contains("\noptions console=tty0 console=ttyS0,115200\n"))
    }

    /// grubby and grub2-mkconfig write these files too: a host device name there is caught.
    @Test func aHostDeviceNameInAnEntryIsCaught() throws {
        let guest = try GuestFiles([
            "\(BootLoaderSpec.entries)/a.conf": "linux /vmlinuz-a\noptions root=/dev/loop3p1 ro\n"
        ])
        #expect(
            try HostNameCheck.leaks(in: guest.root) == ["\(BootLoaderSpec.entries)/a.conf names a /dev/loop device"])
    }
}
