import Foundation
import TestSupport
import Testing

/// Ctrl-C (or SIGTERM) during boot-check stops the boot: exit 130, and no QEMU left running.
@Suite struct BootCheckInterruptTests {
    /// A disk something is changing (a running VM's, locked by its QEMU; one xen2kvm is
    /// writing) is not booted: the message says why, rather than QEMU's "Failed to lock".
    @Test(.requires(tools: ["qemu-system-x86_64", "sfdisk"]))
    func aDiskInUseIsNotBooted() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("running-vm.img")
        try await Command.check("truncate", ["-s", "16M", disk])
        try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(disk)"])
        let lock = try QEMUImageLock(disk)
        let run = try await Xen2KVMBinary.run([
            "boot-check", "--accel", "tcg", "--timeout", "20", "--console-log", dir.file("console.log"), disk,
        ])
        lock.release()
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("is locked by another program"), "\(run.stderr)")
        #expect(run.stderr.contains("boot-check needs a disk nothing is changing"), "\(run.stderr)")
    }

    @Test(.requires(tools: ["qemu-system-x86_64", "sfdisk", "pgrep"]), arguments: [SIGINT, SIGTERM])
    func interruptKillsQEMU(signal: Int32) async throws {
        let dir = try TemporaryDirectory()
        // A partition table and no boot code: the firmware hands over and the boot goes nowhere
        // for 20 s, time enough to interrupt it.
        let disk = dir.file("no-boot-code-\(signal).img")
        try await Command.check("truncate", ["-s", "16M", disk])
        try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(disk)"])

        let run = try await runXen2KVM(
            ["boot-check", "--accel", "tcg", "--timeout", "120", "--console-log", dir.file("console.log"), disk],
            signal: signal, when: "reached firmware")
        #expect(run.status == 130, "\(run.stderr)")
        // QEMU goes with its parent; give the kernel a moment to reap it.
        var left = ""
        for _ in 0..<30 {
            left = try await Command.run("pgrep", ["-af", disk]).stdout
            if left.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left.isEmpty, "QEMU still running: \(left)")
    }

    /// kill -9 during a boot: QEMU dies with xen2kvm at once (it runs under setpriv
    /// --pdeathsig), and the next boot-check removes the firmware file the killed one made.
    @Test(.requires(root: true, tools: ["qemu-system-x86_64", "sfdisk", "setpriv"]))
    func killNineTakesQEMUWithIt() async throws {
        let dir = try TemporaryDirectory()
        // A boot sector that prints a bootloader's name through the BIOS (SeaBIOS mirrors it to
        // the serial port) and then spins: the boot goes on until the kill, however slow the host.
        let disk = dir.file("spinning.img")
        try await Command.check("truncate", ["-s", "1M", disk])
        let code: [UInt8] =
            [
                0x31, 0xC0, 0x8E, 0xD8, 0xBE, 0x14, 0x7C, 0xB4, 0x0E, 0xAC, 0x84, 0xC0, 0x74, 0x04, 0xCD, 0x10, 0xEB,
                0xF7,
            ]
            + [0xEB, 0xFE] + Array("GNU GRUB\r\n".utf8) + [0]
        var sector = code + [UInt8](repeating: 0, count: 510 - code.count)
        sector += [0x55, 0xAA]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: disk))
        try handle.write(contentsOf: Data(sector))
        try handle.close()
        let log = dir.file("console.log")
        let killed = try await killXen2KVM(
            ["boot-check", "--accel", "tcg", "--timeout", "120", "--console-log", log, disk],
            when: "reached bootloader",
            after: KillPoint().delay("boot-check", upTo: .seconds(1)), watching: dir.path)
        #expect(killed.landed, "\(killed.result.stderr)")
        #expect(killed.descendants.contains { $0.name.hasPrefix("qemu") }, "\(killed.descendants)")
        let survivors = try await killed.survivors()
        #expect(survivors.isEmpty, "outlived the killed xen2kvm: \(survivors)")
        // (Its firmware file may be gone already: any run, another test's too, releases what
        // dead runs left.)

        let next = try await Xen2KVMBinary.run(
            ["boot-check", "--accel", "tcg", "--timeout", "1", "--console-log", dir.file("next.log"), disk])
        #expect(next.status == 1, "\(next.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(log).sercon"), "the killed run's firmware file was left")
        let left = try killed.leftovers()
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
