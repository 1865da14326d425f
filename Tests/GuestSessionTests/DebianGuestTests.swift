import Foundation
import Inspection
import TestSupport
import Testing

/// A real Debian 12 guest, laid out as a Xen PV guest (bare ext4, fstab on /dev/xvda1,
/// console=hvc0, grub-pc installed on no disk), converted with the guest fixes on: the helper
/// rebuilds its initrd and installs grub into the new disk, and nothing is left attached.
@Suite(.serialized) struct DebianGuestTests {
    @Test(.requires(root: true, tools: ["debootstrap", "mke2fs", "losetup", "unshare"]))
    func helpersRebuildTheInitrdAndInstallGrub() async throws {
        let dir = try TemporaryDirectory(prefix: "xen2kvm-debian")
        let source = try await XenGuestImages.image(.grub2, in: dir)
        let before = try await sha256(source)
        let target = dir.file("debian12-kvm.img")

        let log = dir.file("debian12.log")
        let run = try await Xen2KVMBinary.run(["convert", "--json", "--log", log, source, target])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let fixes = try #require(object?["fixes"] as? [String: Any])
        #expect(fixes["profile"] as? String == "debian")
        let programs = (fixes["programs"] as? [[String: Any]]) ?? []
        #expect(programs.count == 1 && programs.first?["exitStatus"] as? Int == 0, "\(programs)")

        // The new initrd carries virtio; the Xen-era one is kept.
        let report = try Inspector.inspect(target)
        let kernel = try #require(report.guest?.kernels.first)
        #expect(kernel.initrdHasVirtio == true)
        #expect(
            report.findings.allSatisfy { !["xvd-in-fstab", "xen-console"].contains($0.code) }, "\(report.findings)")

        // grub's boot code is in the MBR; its config names no host device and boots on ttyS0.
        let sector = try FileHandle(forReadingFrom: URL(fileURLWithPath: target)).read(upToCount: 512) ?? Data()
        #expect(String(decoding: sector, as: UTF8.self).contains("GRUB"))
        #expect(sector.prefix(440).contains { $0 != 0 })
        let text = try await Command.check(
            "debugfs", ["-R", "cat /boot/grub/grub.cfg", "\(target)?offset=1048576"]
        ).stdout
        #expect(!text.contains("/dev/loop"))
        #expect(text.contains("console=ttyS0,115200"))
        let boot = try await Command.check("debugfs", ["-R", "ls /boot", "\(target)?offset=1048576"]).stdout
        #expect(boot.contains(".xen2kvm"), "the old initrd was not kept: \(boot)")

        let loops = try await loopLeftovers(matching: dir.path)
        #expect(loops.isEmpty, "\(loops)")
        #expect(try await sha256(source) == before)

        // The proof: the converted guest boots to a login prompt; the Xen original does not.
        let booted = try await BootSlots.boot {
            try await Xen2KVMBinary.run(
                [
                    "boot-check", "--accel", "tcg", "--timeout", "\(BootSlots.loginSeconds)", "--json", "--log", log,
                    "--console-log", dir.file("converted-console.log"), target,
                ])
        }
        #expect(booted.status == 0, "\(booted.stdout)\(booted.stderr)")
        // One log for the guest: the conversion, the programs run in its chroot, the boot.
        let record = try String(contentsOfFile: log, encoding: .utf8)
        for phrase in [
            "info    ran (in the guest) ", "info    released /dev/loop", "info    ran qemu-system-x86_64 ",
            "info    boot check: reached login prompt", "info    finished: exit 0",
        ] {
            #expect(record.contains(phrase), "the log lacks \"\(phrase)\":\n\(record)")
        }
        let bootResult = try JSONSerialization.jsonObject(with: Data(booted.stdout.utf8)) as? [String: Any]
        #expect(bootResult?["stage"] as? Int == 6, "\(booted.stdout)")
        let original = try await BootSlots.boot {
            try await Xen2KVMBinary.run([
                "boot-check", "--accel", "tcg", "--timeout", "60", "--console-log", dir.file("xen-console.log"), source,
            ])
        }
        #expect(original.status == 1)
        #expect(original.stdout.contains("no bootable disk"), "\(original.stdout)")
        #expect(try await sha256(source) == before, "boot-check must not write the disk")

        // Converted without the fixes: partitioned, but no bootloader was installed.
        let bare = dir.file("debian12-nofix.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, bare])
        #expect(copied.status == 0, "\(copied.stderr)")
        let unfixed = try await BootSlots.boot {
            try await Xen2KVMBinary.run([
                "boot-check", "--accel", "tcg", "--timeout", "60", "--json", "--console-log",
                dir.file("nofix-console.log"), bare,
            ])
        }
        #expect(unfixed.status == 1)
        let unfixedResult = try JSONSerialization.jsonObject(with: Data(unfixed.stdout.utf8)) as? [String: Any]
        #expect(
            unfixedResult?["failure"] as? String == "no boot code on the disk (no bootloader installed)",
            "\(unfixed.stdout)")
    }
}
