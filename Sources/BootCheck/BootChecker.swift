import HostSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What `boot-check` asked for.
public struct BootOptions: Sendable {
    public enum Accelerator: String, Sendable, Codable, CaseIterable {
        case auto, kvm, tcg
    }

    public var disk: String
    public var timeoutSeconds: Double = 300
    public var accelerator: Accelerator = .auto
    public var memoryMiB = 1024
    /// Extra disks attached after DISK (vdb, vdc …), also on snapshots.
    public var extraDisks: [String] = []
    /// How long KVM gets to show the kernel running before auto falls back to TCG.
    public var probeSeconds: Double = 25
    /// Where the serial console is written; nil: a file in $TMPDIR.
    public var consoleLog: String?
    /// Told of each boot as it starts ("booting … under QEMU (tcg, …)") and of each stage it
    /// reaches ("  reached firmware"), for progress lines.
    public var onProgress: (@Sendable (String) -> Void)?

    public init(disk: String) { self.disk = disk }
}

/// How a boot went.
/// Encoded for `--json`; the stage also by name.
public struct BootResult: Sendable, Encodable {
    public var stage: BootStage
    public var failure: BootFailure?
    public var booted: Bool { stage == .login }
    public var accelerator: BootOptions.Accelerator
    /// Why this accelerator was used.
    public var acceleratorReason: String
    public var seconds: Double
    public var consoleLog: String
    /// The last console lines, escape sequences removed.
    public var lastLines: [String]
    /// Swap activated and warnings seen on the way.
    public var events: BootEvents
    /// The stage by name, for `--json` readers ("kernel started", "login prompt").
    public var stageName: String { stage.description }
    /// Why the boot stopped where it did, when the disk tells (a kernel line with no serial
    /// console behind a silent console).
    public var diagnosis: String?

    enum CodingKeys: String, CodingKey {
        case stage, stageName, failure, accelerator, acceleratorReason, seconds, consoleLog, lastLines, events
        case diagnosis
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stage, forKey: .stage)
        try container.encode(stageName, forKey: .stageName)
        try container.encodeIfPresent(failure, forKey: .failure)
        try container.encode(accelerator, forKey: .accelerator)
        try container.encode(acceleratorReason, forKey: .acceleratorReason)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(consoleLog, forKey: .consoleLog)
        try container.encode(lastLines, forKey: .lastLines)
        try container.encode(events, forKey: .events)
        try container.encodeIfPresent(diagnosis, forKey: .diagnosis)
    }
}

/// Boots a disk headless under QEMU on a copy-on-write snapshot (the disk is never written)
/// and follows the serial console until a login prompt, a failure, or the timeout.
public enum BootChecker {
    public static func run(_ options: BootOptions) async throws(HostError) -> BootResult {
        var result = try await bootWithAccelerator(options)
        result.diagnosis = SilentConsole.diagnosis(options.disk, stage: result.stage, failure: result.failure)
        return result
    }

    static func bootWithAccelerator(_ options: BootOptions) async throws(HostError) -> BootResult {
        // A snapshot keeps the disk unwritten, but a disk that changes under the boot (a running
        // VM's, one convert or fix is writing) proves nothing: say so instead of a QEMU error.
        for disk in [options.disk] + options.extraDisks {
            if let use = DiskInUse.reason(disk, readOnlyMountsCount: false) {
                throw .failed(
                    "\(disk) is \(use): boot-check needs a disk nothing is changing; try again when it is free")
            }
        }
        let log = options.consoleLog ?? temporaryLog()
        switch options.accelerator {
        case .tcg:
            return try await boot(options, accel: .tcg, reason: "asked for (--accel tcg)", log: log, limit: nil)
        case .kvm:
            return try await boot(options, accel: .kvm, reason: "asked for (--accel kvm)", log: log, limit: nil)
        case .auto:
            guard access("/dev/kvm", R_OK | W_OK) == 0 else {
                return try await boot(options, accel: .tcg, reason: "no usable /dev/kvm", log: log, limit: nil)
            }
            if let earlier = KVMProbeMemory.recalled() {
                let reason = "\(earlier) (an earlier probe since this boot; \(KVMProbeMemory.path))"
                return try await boot(options, accel: .tcg, reason: reason, log: log, limit: nil)
            }
            // /dev/kvm existing proves nothing: boot with KVM for a short while and keep it only
            // when the guest gets past the kernel's start (here it hangs after "Probing EDD").
            let probe = try await boot(options, accel: .kvm, reason: "probe", log: log, limit: options.probeSeconds)
            if probe.booted || (probe.stage > .kernel && probe.failure == nil) {
                return try await boot(
                    options, accel: .kvm,
                    reason: "a \(Int(options.probeSeconds)) s KVM probe boot reached \(probe.stage)", log: log,
                    limit: nil)
            }
            if probe.failure != nil && probe.failure != .qemuFailed && probe.failure != .timeout {
                var result = probe
                result.acceleratorReason = "KVM works far enough to show the failure"
                return result
            }
            let why =
                probe.failure == .qemuFailed
                ? "QEMU stopped under KVM (\(probe.lastLines.last ?? "no output"))"
                : "under KVM the boot stopped at \"\(probe.stage)\" within \(Int(options.probeSeconds)) s"
            // Only a probe that got the guest as far as its firmware says something about KVM.
            if probe.stage >= .firmware || probe.failure == .qemuFailed { KVMProbeMemory.remember(why) }
            return try await boot(options, accel: .tcg, reason: "\(why): using TCG", log: log, limit: nil)
        }
    }

    static func temporaryLog() -> String {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        return "\(directory)/xen2kvm-boot-\(getpid())-\(Int(time(nil))).log"
    }

    static func qemuArguments(_ options: BootOptions, accel: BootOptions.Accelerator, log: String) -> [String] {
        var arguments = [
            "-machine", "pc,accel=\(accel.rawValue)", "-m", "\(options.memoryMiB)", "-smp", "1",
            "-display", "none", "-vga", "none", "-monitor", "none", "-no-reboot", "-serial", "file:\(log)",
            // SeaBIOS mirrors its messages to the serial port named in this fw_cfg file (0x3f8,
            // little-endian), so the firmware stage and "not a bootable disk" are visible.
            "-fw_cfg", "name=etc/sercon-port,file=\(log).sercon",
            // A virtio NIC as KVM guests have, so the boot meets what it will meet there (a
            // renamed interface, a network service that waits); user-mode networking with
            // restrict=on: the guest reaches nothing, neither the host nor beyond. No option
            // ROM: the firmware must not try a network boot after the disk.
            "-netdev", "user,id=net0,restrict=on", "-device", "virtio-net-pci,netdev=net0,romfile=",
        ]
        for (index, disk) in ([options.disk] + options.extraDisks).enumerated() {
            arguments += [
                "-drive",
                "file=\(disk),if=virtio,format=raw,snapshot=on,index=\(index)" + (index == 0 ? ",media=disk" : ""),
            ]
        }
        if accel == .kvm { arguments += ["-cpu", "max"] }
        return arguments
    }

    /// A boot to its end (`limit` nil), or a probe; a boot the emulated timer failed is run again
    /// (EmulatedTimerCheck).
    static func boot(
        _ options: BootOptions, accel: BootOptions.Accelerator, reason: String, log: String, limit: Double?
    ) async throws(HostError) -> BootResult {
        guard limit == nil else {
            return try await bootOnce(options, accel: accel, reason: reason, log: log, limit: limit)
        }
        return try await EmulatedTimerCheck.retrying(options) { (seconds, again) async throws(HostError) in
            var remaining = options
            remaining.timeoutSeconds = seconds
            let said = again.map { "\(reason); \($0)" } ?? reason
            let result = try await bootOnce(remaining, accel: accel, reason: said, log: log, limit: nil)
            return (result, ConsoleText.read(log))
        }
    }

    /// One boot: QEMU runs until login, failure, `limit` (a probe) or the timeout; always killed.
    static func bootOnce(
        _ options: BootOptions, accel: BootOptions.Accelerator, reason: String, log: String, limit: Double?
    ) async throws(HostError) -> BootResult {
        _ = unlink(log)
        let sercon = writeSerconPort(to: "\(log).sercon")
        defer {
            _ = unlink("\(log).sercon")
            if let sercon { RunRecord.current?.drop(sercon) }
        }
        let started = ContinuousClock.now
        let deadline = limit ?? options.timeoutSeconds
        let kind = limit.map { "a \(Int($0)) s probe" } ?? "up to \(Int(options.timeoutSeconds)) s"
        options.onProgress?("booting \(options.disk) under QEMU (\(accel.rawValue), \(kind))")
        // Written by the watch beside QEMU, read once QEMU is gone.
        let watched = Mutex<(BootStage, BootFailure?, String)>((.none, nil, ""))
        // Without the 0x55AA signature SeaBIOS never jumps to the disk: it says "not a
        // bootable disk" (late, on a loaded host) rather than running zeros.
        let canRunBootCode = Self.hasBootSignature(options.disk)
        let qemuLines: [String]
        do {
            qemuLines = try await HostChild.run(
                "qemu-system-x86_64", qemuArguments(options, accel: accel, log: log),
                environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"], keepingLines: 40,
                alongside: { qemu in
                    defer { qemu.send(.kill) }
                    var handedToDisk: ContinuousClock.Instant?
                    var panicSeen: ContinuousClock.Instant?
                    while true {
                        try? await Task.sleep(for: .milliseconds(250))
                        let text = ConsoleText.read(log)
                        let (stage, failure) = ConsoleReader.read(text)
                        let earlier = watched.withLock { outcome in
                            defer { outcome = (stage, failure, text) }
                            return outcome.0
                        }
                        if stage > earlier { options.onProgress?("  reached \(stage)") }
                        if stage == .login { return }
                        // A panic's message and trace come in a burst after its first line: a
                        // moment more, so the log (and EmulatedTimerCheck) has the whole reason.
                        if failure == .kernelPanic {
                            panicSeen = panicSeen ?? .now
                            if ContinuousClock.now - panicSeen! > .seconds(2) { return }
                        } else if failure != nil {
                            return
                        }
                        // SeaBIOS jumped to the disk's boot sector and nothing ever printed again: a
                        // table without boot code (a bootloader prints within a second or two).
                        if canRunBootCode && stage == .firmware && text.contains("Booting from Hard Disk") {
                            handedToDisk = handedToDisk ?? .now
                            if ContinuousClock.now - handedToDisk! > .seconds(20) {
                                watched.withLock { $0.1 = .noBootCode }
                                return
                            }
                        }
                        if Cancellation.signal != nil { return }
                        if seconds(since: started) > deadline {
                            watched.withLock { $0.1 = limit == nil ? .timeout : nil }
                            return
                        }
                        // Cancelled: QEMU's output ended, it stopped by itself.
                        if Task.isCancelled || !ChildProcesses.isRunning(qemu.pid) {
                            watched.withLock { $0.1 = $0.1 ?? .qemuFailed }
                            return
                        }
                    }
                }
            ).lines
        } catch {
            throw .failed("cannot run qemu-system-x86_64 (Debian package qemu-system-x86): \(error)")
        }
        var outcome = watched.withLock { $0 }
        if outcome.1 == .qemuFailed, !qemuLines.isEmpty {
            outcome.2 += "\n" + qemuLines.joined(separator: "\n")
        }
        Log.command(
            "qemu-system-x86_64", qemuArguments(options, accel: accel, log: log), status: nil,
            seconds: seconds(since: started),
            output: ConsoleText.lastLines(outcome.2, count: 40).joined(separator: "\n"))
        Log.info("boot check: reached \(outcome.0)\(outcome.1.map { ", stopped: \($0.rawValue)" } ?? "")")
        try Cancellation.check("the boot check")
        if limit != nil && outcome.1 == nil && outcome.0 != .login { outcome.1 = .timeout }
        return BootResult(
            stage: outcome.0, failure: outcome.0 == .login ? nil : outcome.1, accelerator: accel,
            acceleratorReason: reason, seconds: seconds(since: started), consoleLog: log,
            lastLines: ConsoleText.lastLines(outcome.2, count: 15), events: BootEvents.read(outcome.2))
    }

    /// Whether sector 0 ends in the 0x55AA boot signature, the firmware's condition for
    /// running it.
    static func hasBootSignature(_ disk: String) -> Bool {
        let fd = open(disk, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var sector = [UInt8](repeating: 0, count: 512)
        guard pread(fd, &sector, 512, 0) == 512 else { return true }
        return sector[510] == 0x55 && sector[511] == 0xAA
    }

    /// Writes the fw_cfg file and records it in the run's record (removed after the boot, or
    /// by the next run after a kill -9).
    static func writeSerconPort(to path: String) -> RunRecord.Holding? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let made = FileIdentity.of(path).map { RunRecord.Holding.made(path, $0) }
        if let made { RunRecord.current?.hold(made) }
        let port: [UInt8] = [0xF8, 0x03]
        _ = port.withUnsafeBytes { write(fd, $0.baseAddress, 2) }
        close(fd)
        return made
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return elapsed.inSeconds
    }
}

/// The console log as text, without terminal escape sequences.
enum ConsoleText {
    static func read(_ path: String) -> String {
        HostFiles.read(path) ?? ""
    }

    static func lastLines(_ text: String, count: Int) -> [String] {
        let clean = stripEscapes(text)
        return clean.split(whereSeparator: \.isNewline).map(String.init).filter {
            !$0.allSatisfy(\.isWhitespace)
        }.suffix(count).map { $0 }
    }

    /// Removes ANSI CSI sequences (ESC [ … letter) that grub and systemd draw with.
    static func stripEscapes(_ text: String) -> String {
        var out = ""
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\u{1B}" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            guard let next = iterator.next(), next == "[" else { continue }
            while let c = iterator.next(), !(("@"..."~").contains(c)) {}
        }
        return out
    }
}
