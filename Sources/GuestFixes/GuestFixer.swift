import GuestSession
import HostSystem
import Inspection

#if canImport(Glibc)
    import Glibc
#endif

/// What `xen2kvm fix` (and `convert` after copying) was asked to do.
public struct FixOptions: Sendable {
    public var disk: String
    /// auto, one of `Profile.all`, or a helper script's path.
    public var profile = "auto"
    /// Extra Xen → KVM device names, e.g. ["xvdc": "vdb"]; xvdb → vdb is the default.
    public var deviceMap: [String: String] = [:]
    /// Apply file edits only; run no guest program.
    public var editsOnly = false
    /// StorPool-style external helpers: run on the host with the disk's block device as the
    /// only argument, after the built-in steps, before teardown.
    public var helpers: [String] = []
    public var dryRun = false
    /// How the guest's own programs run: contained (the default) or trusted (--trust-guest).
    public var programs = GuestProgramPolicy()
    /// Where the mounted guest is inspected (the CLI: its contained parser child).
    public var inspection = GuestInspection.inProcess

    public init(disk: String) { self.disk = disk }
}

/// What the fixes did (or, with --dry-run, would do).
public struct FixReport: Sendable, Codable {
    public struct Edit: Sendable, Codable {
        public var file: String
        public var edit: String
        public var changes: [String]
        /// Unified diff, for --dry-run.
        public var diff: String?

        /// How every report shows a planned change (with its diff when nothing is written).
        public init(_ change: FileChange, diff: Bool) {
            file = change.path
            edit = change.edit
            changes = change.summary
            self.diff = diff ? UnifiedDiff.render(change) : nil
        }
    }

    public struct NotRun: Sendable, Codable {
        public var program: String
        public var reason: String
    }

    public var profile: String
    /// The guest helper the profile runs (or, not run, would run); nil for profile none.
    public var helper: String?
    public var dryRun: Bool
    public var edits: [Edit]
    public var programs: [ProgramRun]
    /// How they ran (contained, or trusted with --trust-guest).
    public var containment: String?
    public var notRun: [NotRun]
    public var warnings: [String]
}

/// Opens the disk in a guest session, applies the edits, runs the programs, tears down.
public enum GuestFixer {
    public static func run(_ options: FixOptions) async throws(GuestFixFailure) -> FixReport {
        let session: GuestSession
        do {
            session = try await GuestSession.open(options.disk, readOnly: options.dryRun)
        } catch {
            throw .session(error)
        }
        defer { session.close() }
        session.programs = options.programs
        await pauseForTests()
        try stopIfInterrupted("opening the guest")
        let root: GuestRoot
        do {
            root = try GuestRoot(path: session.root)
        } catch {
            throw .edit(error)
        }
        let guest: GuestReport = try await options.inspection.inspect(session.root).get()
        let context = FixContext.forFix(
            guest: guest, profile: options.profile, deviceMap: options.deviceMap,
            partitionTable: session.partitionTable.rawValue, editsOnly: options.editsOnly)
        let profile = context.profile
        if !options.dryRun,
            let refusal = Profile.refusal(
                detected: profile, distro: guest.distro, version: guest.version, options: options)
        {
            throw .refused(refusal)
        }
        // Before any edit: a helper that cannot finish must not start on a half-edited guest.
        if !options.dryRun && !options.editsOnly && profile != "none" && guest.bootloader == .grub2
            && !session.hasBIOSBootPartition
        {
            throw .refused(
                "\(options.disk) is GPT with no BIOS boot partition: grub2 boots a GPT disk under BIOS (as KVM "
                    + "does) only from one, so its install would fail. Add one in the gap before partition 1 "
                    + "(`sgdisk -a 1 -n 0:34:2047 -t 0:ef02 \(options.disk)` when partition 1 starts at 2048), then "
                    + "run fix again")
        }
        if !options.dryRun && !options.editsOnly && profile != "none",
            let shortfall = BootSpace.shortfall(in: root, guest: guest)
        {
            throw .refused(shortfall)
        }
        Log.info(
            "fixing the guest on \(options.disk) (\(session.loopDevice)): \(guest.distro) \(guest.version), "
                + "profile \(profile)\(options.dryRun ? ", dry run" : options.editsOnly ? ", edits only" : "")")
        if let refusal = onlyXenKernels(guest) { throw .refused(refusal) }
        let changes: [FileChange]
        do {
            changes = try GuestEdits.plan(root, context: context)
        } catch {
            throw .edit(error)
        }
        try stopIfInterrupted("the guest edits")
        do {
            if !options.dryRun { try GuestEdits.apply(changes, to: root) }
            for change in changes {
                Log.info(
                    "\(options.dryRun ? "would edit" : "edited") \(change.path) (\(change.edit)): "
                        + change.summary.joined(separator: "; "))
            }
        } catch {
            throw .edit(error)
        }
        var report = FixReport(
            profile: profile, helper: profile == "none" ? nil : GuestHelper.scriptPath(for: profile),
            dryRun: options.dryRun,
            edits: changes.map { .init($0, diff: options.dryRun) },
            programs: [], notRun: [], warnings: [])
        if options.dryRun || options.editsOnly || profile == "none" {
            let reason = options.dryRun ? "--dry-run" : options.editsOnly ? "--edits-only" : "profile none"
            report.notRun = GuestHelper.steps.map { .init(program: $0, reason: reason) }
            if changes.contains(where: { $0.edit == SELinuxRelabelEdit().name })
                || root.isFile(SELinuxRelabelEdit.marker)
            {
                report.notRun.append(
                    .init(
                        program: SELinuxRelabel.program, reason: "\(reason): /.autorelabel relabels on the first boot"))
            }
        } else {
            report.containment = options.programs.summary
            let helper = GuestHelper(context: context, session: session)
            report.programs.append(try await helper.run(in: root))
            report.warnings += try HostNameCheck.leaks(in: root)
            if !report.warnings.isEmpty {
                throw .refused("a host device name landed in the guest: \(report.warnings.joined(separator: "; "))")
            }
            switch try await SELinuxRelabel(session: session).run(in: root) {
            case .notNeeded: break
            case .notRun(let reason): report.notRun.append(.init(program: SELinuxRelabel.program, reason: reason))
            case .ran(let run): report.programs.append(run)
            case .failed(let run):
                report.programs.append(run)
                report.warnings.append(
                    "setfiles failed (exit \(run.exitStatus)): /.autorelabel is kept, the guest relabels on the first boot"
                )
            }
        }
        report.warnings += OtherDisks.warnings(context)
        for helper in options.helpers {
            try stopIfInterrupted("the helpers")
            guard !options.dryRun else {
                report.notRun.append(.init(program: helper, reason: "--dry-run"))
                continue
            }
            report.programs.append(try await runExternalHelper(helper, device: session.loopDevice))
        }
        return report
    }

    /// Why no edit may run when every kernel is Xen-only: the guest would boot none on KVM.
    public static func onlyXenKernels(_ guest: GuestReport) -> String? {
        guard let versions = guest.onlyXenKernels else { return nil }
        return "every kernel in the guest is Xen-only (\(versions.joined(separator: ", "))): "
            + "install the normal kernel package first (EL5: `yum install kernel`), then run fix again"
    }

    /// Ctrl-C / SIGTERM between steps: stop before the next one (the session still closes).
    static func stopIfInterrupted(_ during: String) throws(GuestFixFailure) {
        do {
            try Cancellation.check(during)
        } catch {
            throw .session(GuestSessionError(error))
        }
    }

    /// Tests that stop a run while its session is open set XEN2KVM_TEST_PAUSE_IN_SESSION: the
    /// run says so on stderr and waits there (up to 60 s, or until SIGINT/SIGTERM).
    static func pauseForTests() async {
        guard getenv("XEN2KVM_TEST_PAUSE_IN_SESSION") != nil else { return }
        let line = "xen2kvm: test pause: session open\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        for _ in 0..<600 where Cancellation.signal == nil { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// The StorPool contract: the whole-disk block device as the only argument.
    static func runExternalHelper(_ helper: String, device: String) async throws(GuestFixFailure) -> ProgramRun {
        let started = ContinuousClock.now
        let result: HostTool.Outcome
        do {
            // In a pid namespace of its own: what it starts goes with it.
            result = try await HostTool.run(helper, [device], package: "your helper", ownPidNamespace: true)
        } catch {
            throw .helper(path: helper, status: -1, lastLines: "\(error)")
        }
        let elapsed = ContinuousClock.now - started
        var run = ProgramRun(
            program: helper, arguments: [device], exitStatus: result.status,
            seconds: elapsed.inSeconds,
            output: result.tail)
        // A --helper is the operator's own host program: trusted, never contained.
        run.contained = false
        guard result.status == 0 else { throw .helper(path: helper, status: result.status, lastLines: result.tail) }
        return run
    }
}

/// Why fixing stopped.
public enum GuestFixFailure: Error, CustomStringConvertible {
    case session(GuestSessionError)
    case edit(GuestFixError)
    case refused(String)
    case helper(path: String, status: Int32, lastLines: String)
    /// Reading the guest crashed or hung the contained parser.
    case damaged(String)

    public var description: String {
        switch self {
        case .session(let error): return error.description
        case .edit(let error): return error.description
        case .refused(let text): return "refused: \(text)"
        case .helper(let path, let status, let lines): return "helper \(path) failed (exit \(status)):\n\(lines)"
        case .damaged(let text): return text
        }
    }
}

/// Picks the profile from inspection: distro id and major version (README, "Distributions").
public enum Profile {
    public static let all = ["auto", "centos5", "centos6", "centos7", "el8", "suse", "arch", "debian", "none"]

    /// Why fixing a guest whose profile was detected as `none` would hand over a disk that
    /// cannot boot (no initrd with virtio, no bootloader), unless the operator takes it on:
    /// `--profile`, a host `--helper`, `--edits-only`. nil when the fixes can go on.
    public static func refusal(detected: String, distro: String, version: String, options: FixOptions) -> String? {
        guard detected == "none", options.profile == "auto", options.helpers.isEmpty, !options.editsOnly else {
            return nil
        }
        let name = distro == "unknown" ? "the guest's distribution (unknown)" : "\(distro) \(version)".trimmingBlanks()
        return "no guest helper knows \(name): nothing would rebuild its initrd with virtio or install a "
            + "bootloader, and the disk would not boot. Pass --profile with one of \(all.dropFirst().joined(separator: ", ")) "
            + "that fits it, --profile PATH for a helper of your own, or --edits-only for the file edits alone"
    }

    public static func detect(_ guest: GuestReport) -> String {
        detect(distro: guest.distro, version: guest.version)
    }

    public static func detect(distro: String, version: String) -> String {
        let major = Int(version.prefix { $0.isNumber }) ?? 0
        switch distro {
        case "centos", "rhel", "scientific", "ol", "rocky", "almalinux":
            // EL8 and later boot through BLS entries (grubby, kernelopts) and name no console.
            return (5...7).contains(major) ? "centos\(major)" : major >= 8 ? "el8" : "none"
        case "fedora":
            // Fedora 30 made BLS entries the default; 19–29 are grub2 + dracut as EL7.
            return major >= 30 ? "el8" : major >= 19 ? "centos7" : "none"
        case "sles", "sled", "opensuse", "opensuse-leap", "opensuse-tumbleweed":
            return "suse"
        case "arch", "manjaro":
            return "arch"
        case "debian", "ubuntu":
            return "debian"
        default:
            return "none"
        }
    }
}
