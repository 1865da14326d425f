import Foundation
import TestSupport
import Testing

/// Ctrl-C (or SIGTERM) during boot-check stops the boot: exit 130, and no QEMU left running.
@Suite struct BootCheckInterruptTests {
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
