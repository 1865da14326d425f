import ArgumentParser
import BootCheck
import FoundationEssentials
import HostSystem

struct BootCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot-check",
        abstract: "Boot a disk headless under QEMU and report how far it got.",
        discussion: """
            Boots DISK as a virtio disk under qemu-system-x86_64 (Debian package qemu-system-x86) on a \
            copy-on-write snapshot, so DISK is never written, with a virtio NIC that reaches nothing \
            (user networking, restrict=on), and follows the serial console: firmware, bootloader, \
            kernel started, initramfs, root filesystem mounted / init started, login prompt. It stops \
            early on a known failure: no bootable disk, grub error, kernel panic, initramfs rescue \
            shell / root device not found; otherwise at the timeout. It also reports the swap areas \
            activated, the network interfaces udev renamed (eth0 → ens2: a config naming eth0 would \
            miss it) and systemd's failures.

            --accel auto uses KVM only when a short probe boot shows a kernel running under it \
            (/dev/kvm existing proves nothing), and TCG otherwise; the report says which and why. A \
            failed probe is remembered until the host reboots (/run/xen2kvm/kvm-probe).

            Examples:
              xen2kvm boot-check web01-kvm.img
              xen2kvm boot-check web01-kvm.img --accel tcg --timeout 240 --json

            Exit status: 0 a login prompt appeared; 1 the boot did not get there (the stage and the \
            reason are printed, with the last console lines); 130 interrupted; 64 bad usage.
            """)

    @Argument(help: "The disk to boot: an image file or a block device.")
    var disk: String

    @Option(help: "Seconds to wait for a login prompt.")
    var timeout: Double = 300

    @Option(help: "Accelerator: auto, kvm or tcg.")
    var accel: BootOptions.Accelerator = .auto

    @Option(help: "Guest memory in MiB.")
    var memory = 1024

    @Option(name: .customLong("disk"), help: "Another disk to attach (vdb, vdc …), on a snapshot too. Repeatable.")
    var extraDisks: [String] = []

    @Option(help: "Where to write the serial console log (default: a file in $TMPDIR).")
    var consoleLog: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard FileManager.default.fileExists(atPath: disk) else { throw ValidationError("\(disk) does not exist") }
    }

    @OptionGroup var log: LogOptions

    func run() async throws { try await log.run { try await RunRecord.during(bootCheck) } }

    private func bootCheck() async throws {
        Cancellation.install()
        var options = BootOptions(disk: disk)
        options.timeoutSeconds = timeout
        options.accelerator = accel
        options.memoryMiB = memory
        options.extraDisks = extraDisks
        options.consoleLog = consoleLog
        options.onProgress = { line in RawOutput.stderr("\(line)\n") }
        let result: BootResult
        do {
            result = try await BootChecker.run(options)
        } catch {
            ErrorOutput.print(error.description)
            if case .interrupted = error { throw ExitCode(130) }
            throw ExitCode(1)
        }
        if json {
            try JSONOutput.print(result)
        } else {
            print(Self.render(result), terminator: "")
        }
        if !result.booted { throw ExitCode(1) }
    }

    static func render(_ result: BootResult) -> String {
        var out = result.booted ? "Boots: login prompt reached" : "Does not boot: stopped at \"\(result.stage)\""
        if let failure = result.failure { out += " (\(failure.rawValue))" }
        out += " after \(ByteCount.seconds(result.seconds, decimals: 0))\n"
        out += "  accelerator  \(result.accelerator.rawValue): \(result.acceleratorReason)\n"
        out += "  console log  \(result.consoleLog)\n"
        for swap in result.events.swaps { out += "  swap         \(swap) activated\n" }
        for rename in result.events.renamedInterfaces { out += "  network      \(rename) (renamed by udev)\n" }
        for warning in result.events.warnings { out += "  warning      \(warning)\n" }
        if let diagnosis = result.diagnosis { out += "  why          \(diagnosis)\n" }
        if !result.booted {
            out += "  last console lines:\n"
            for line in result.lastLines { out += "    \(line)\n" }
        }
        return out
    }
}

extension BootOptions.Accelerator: ExpressibleByArgument {}
