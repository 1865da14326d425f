import Foundation
import TestSupport
import Testing

/// `xen2kvm migrate` end to end on the three-disk guest: a dry run writes nothing, a real run
/// converts every disk (sources unchanged), fixes the root with the device map, writes and
/// checks the XML.
@Suite struct MigrateCommandTests {
    @Test(.requires(root: true, tools: WebGuest.tools)) func aDryRunWritesNothing() async throws {
        let guest = try await WebGuest()
        let run = try await Xen2KVMBinary.run([
            "migrate", guest.config, "--storage", "dir:\(guest.storage)", "--dry-run",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("xvda2 → vdb (vdb1)  swap  swap"))
        #expect(run.stdout.contains("<domain type='kvm'>"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: guest.storage) == [])
    }

    @Test(.requires(root: true, tools: WebGuest.tools + ["virsh", "virt-xml-validate"]))
    func migratesEveryDiskAndWritesTheDomain() async throws {
        let guest = try await WebGuest()
        var before: [String] = []
        for source in guest.sources { before.append(try await sha256(source)) }
        let common = [
            "migrate", guest.config, "--storage", "dir:\(guest.storage)", "--bridge-map", "xenbr0=br0",
            "--domain-type", "qemu",
        ]
        let dry = try await Xen2KVMBinary.run(common + ["--dry-run", "--json"])
        let planned = try #require(
            try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
        let xml = try #require((planned["plan"] as? [String: Any])?["xml"] as? String)

        let run = try await Xen2KVMBinary.run(common + ["--edits-only"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("checked: xen2kvm's checks, virt-xml-validate, virsh -c test:///default define"))
        let written = try String(contentsOfFile: "\(guest.storage)/web02.xml", encoding: .utf8)
        #expect(written == xml)
        #expect(written.contains("<source bridge='br0'/>") && written.contains("<mac address='00:16:3e:12:34:56'/>"))
        let fstab = try await guest.guestFile("/etc/fstab", of: "\(guest.storage)/web02-xvda1.img")
        let entries = fstab.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(entries.contains { $0.hasPrefix("/dev/vda1 ") } && entries.contains { $0.hasPrefix("/dev/vdb1 ") })
        #expect(!entries.contains { $0.contains("/dev/xvd") })
        let swapType = try await Command.run(
            "blkid", ["-p", "-o", "value", "-s", "PTTYPE", "\(guest.storage)/web02-xvda2.img"])
        #expect(swapType.stdout.hasPrefix("dos"))
        var after: [String] = []
        for source in guest.sources { after.append(try await sha256(source)) }
        #expect(after == before, "the sources are never written")

        // Again: the XML and the disks exist now; nothing is overwritten without --force.
        let again = try await Xen2KVMBinary.run(common + ["--edits-only"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("web02.xml exists"))
    }

    /// `--boot-check` before `--define`: a converted guest that does not boot (here: --edits-only,
    /// so no bootloader is installed on the new disk) is not defined; the report says where it
    /// stopped and what to do. ~30 s of TCG: SeaBIOS, then 20 s of a disk with no boot code.
    @Test(.requires(root: true, tools: WebGuest.tools + ["virsh", "virt-xml-validate", "qemu-system-x86_64"]))
    func aGuestThatDoesNotBootIsNotDefined() async throws {
        let guest = try await WebGuest()
        let run = try await BootSlots.boot {
            try await Xen2KVMBinary.run([
                "migrate", guest.config, "--storage", "dir:\(guest.storage)", "--domain-type", "qemu", "--edits-only",
                "--boot-check", "--accel", "tcg", "--boot-timeout", "600", "--define", "test:///default",
            ])
        }
        print("aGuestThatDoesNotBootIsNotDefined:\n\(run.stderr)")
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("did not reach its login prompt"), "\(run.stderr)")
        #expect(run.stderr.contains("no boot code on the disk"), "\(run.stderr)")
        #expect(run.stderr.contains("nothing was defined"), "\(run.stderr)")
        #expect(!run.stdout.contains("defined on"), "\(run.stdout)")
        // The boot saw every disk of the domain, in its order.
        #expect(run.stderr.contains("-xvda1.img"), "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(guest.storage)/web02.xml"))
        #expect(run.stderr.contains("console log \(guest.storage)/web02-boot-check.log"), "\(run.stderr)")
        let console = try String(contentsOfFile: "\(guest.storage)/web02-boot-check.log", encoding: .utf8)
        #expect(console.contains("Booting from Hard Disk"), "\(console)")
    }
}
