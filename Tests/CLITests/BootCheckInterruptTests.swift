import Foundation
import TestSupport
import Testing

/// Ctrl-C (or SIGTERM) during boot-check stops the boot: exit 130, and no QEMU left running.
@Suite struct BootCheckInterruptTests {
    /// A disk something is changing (a running VM's, locked by its QEMU; one xen2kvm is
    /// writing) is not booted: the message says why, rather than QEMU's "Failed to lock".
    @Test func aDiskInUseIsNotBooted() async throws {
        guard TestEnvironment.require(tools: ["qemu-system-x86_64", "sfdisk"]) else { return }
        let dir = try TemporaryDirectory()
        let disk = dir.file("running-vm.img")
        try await Command.check("truncate", ["-s", "16M", disk])
        try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(disk)"])
        let lock = try QEMUImageLock(disk)
        let run = try await Xen2KVMBinary.run(["boot-check", "--accel", "tcg", "--timeout", "20", disk])
        lock.release()
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("is locked by another program"), "\(run.stderr)")
        #expect(run.stderr.contains("boot-check needs a disk nothing is changing"), "\(run.stderr)")
    }

    @Test(arguments: [SIGINT, SIGTERM]) func interruptKillsQEMU(signal: Int32) async throws {
        guard TestEnvironment.require(tools: ["qemu-system-x86_64", "sfdisk", "pgrep"]) else { return }
        let dir = try TemporaryDirectory()
        // A partition table and no boot code: the firmware hands over and the boot goes nowhere
        // for 20 s, time enough to interrupt it.
        let disk = dir.file("no-boot-code-\(signal).img")
        try await Command.check("truncate", ["-s", "16M", disk])
        try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(disk)"])

        let run = try await runXen2KVM(
            ["boot-check", "--accel", "tcg", "--timeout", "120", disk], signal: signal, when: "reached firmware")
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
}
