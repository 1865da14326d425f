import BootCheck
import Conversion
import FoundationEssentials
import GuestFixes
import HostSystem
import Migration
import Remote
import XenDefinition

#if canImport(Glibc)
    import Glibc
#endif

/// How the fleet plans and runs: the same image parser `migrate` uses, and what the estimate
/// assumes.
public struct FleetSettings: Sendable {
    public var parser: ImageParser
    /// Where each fixed guest is inspected: the same as `fix`'s.
    public var inspection = GuestInspection.inProcess
    public var xenToolPath = XenRunning.defaultPath
    /// The estimate: bytes per second of one guest's copy.
    public var bytesPerSecond: Double = 150 * 1_048_576
    /// The estimate: per guest, besides the copy (checks, the fixes' session; more with guest
    /// programs).
    public var editsOnlySeconds: Double = 10
    public var programsSeconds: Double = 90
    /// The estimate: a guest's boot check (`bootCheck`), under TCG when there is no KVM.
    public var bootCheckSeconds: Double = 60
    /// A guest's boot check (`bootCheck`): the timeout, accelerator and memory; its disks come from
    /// its plan.
    public var bootOptions = BootOptions(disk: "")
    /// Called as each guest's phases are done ("web01: converted (…)").
    public var note: @Sendable (String) -> Void = { _ in }
    /// For guests on a Xen host (`source: ssh://…`): `ssh -F FILE` (nil: ~/.ssh/config) and how
    /// their disks come over.
    public var sshConfig: String?
    public var transport: Transport = .auto
    /// The xen2kvm on the Xen hosts, for x2k (a name on their PATH or an absolute path).
    public var remoteXen2kvm = "xen2kvm"

    public init(parser: ImageParser = .inProcess) { self.parser = parser }
}

/// One guest's work: plan, compare with its state, do what is missing or changed.
struct GuestWork {
    let guest: FleetGuest
    let state: StateDirectory
    let settings: FleetSettings
    var report: FleetReport.Guest
    /// A remote guest's received disks: the Xen host's paths → their staging files.
    var received: RemoteMigration.Received?
    /// A remote guest's disks by origin (`ssh://root@xen1/dev/vg0/web01`) → their identity there.
    var remoteIdentities: [String: String] = [:]

    init(_ guest: FleetGuest, state: StateDirectory, settings: FleetSettings) {
        self.guest = guest
        self.state = state
        self.settings = settings
        report = .init(
            name: guest.name, definition: guest.definitionPath, outcome: .blocked, work: [], bytes: 0, seconds: 0,
            findings: [])
    }

    /// A refusal the operator clears without changing the guest.
    static func isFixable(_ refusal: String) -> Bool {
        [
            "is running on this Xen host", "is running on the Xen host", "exists: remove it, or pass --force",
            "holds data", "no target:",
            "this fleet did not make it",
        ].contains { refusal.contains($0) }
    }

    mutating func refuse(_ reasons: [String], dryRun: Bool) -> FleetReport.Guest {
        report.findings = reasons + report.findings
        report.outcome = dryRun && reasons.allSatisfy(Self.isFixable) ? .fixable : .blocked
        return report
    }

    /// What each phase is done with, for this plan.
    /// `remote`: a received disk's identity on its Xen host, by origin (its staging file's own
    /// is new on every run).
    static func inputs(
        _ plan: MigrationPlan, definition: String, guest: FleetGuest, remote: [String: String] = [:]
    ) -> [(GuestState.Phase, [String: String])] {
        var converted: [String: String] = [:]
        for disk in plan.disks {
            var st = stat()
            let identity =
                if let origin = disk.origin {
                    remote[origin] ?? "missing"
                } else if stat(disk.source, &st) == 0 {
                    "\(st.st_dev):\(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
                } else {
                    "missing"
                }
            converted["disk \(disk.xen)"] = SHA256.hex(
                "\(disk.origin ?? disk.source)\n\(identity)\n\(disk.target)\n\(disk.askedMethod.rawValue)\n\(disk.kvmDisk)"
            )
        }
        converted["disks"] = SHA256.hex(plan.disks.map(\.xen).joined(separator: ","))
        // A remote guest's disks, by their identity on its Xen host: received, or to receive.
        var transferred: [String: String] = [:]
        for disk in plan.disks {
            if let origin = disk.origin { transferred["disk \(disk.xen)"] = SHA256.hex(remote[origin] ?? "missing") }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let fix = (try? encoder.encode(guest.settings.fix ?? .init())).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let fixed = [
            "fix options": SHA256.hex(fix),
            "device map": SHA256.hex(
                plan.deviceMap.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: ",")),
        ]
        var phases: [(GuestState.Phase, [String: String])] = [(.planned, ["definition": SHA256.hex(definition)])]
        if guest.source != .local { phases.append((.transferred, transferred)) }
        phases += [
            (.converted, converted), (.fixed, fixed),
            (.domainWritten, ["domain XML": SHA256.hex(plan.xml), "XML path": SHA256.hex(plan.xmlPath)]),
        ]
        if guest.bootCheck {
            let disks = converted.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
            phases.append((.bootChecked, ["converted disks": SHA256.hex(disks)]))
        }
        if let uri = guest.define {
            phases.append((.defined, ["define": uri]))
            if guest.start { phases.append((.started, ["start": "yes"])) }
        }
        return phases
    }

    /// Each phase's fingerprint: its own inputs and the fingerprint of the phase before, so a
    /// phase redone redoes those after it. The plan's is its own (the plan is made every run).
    static func fingerprints(
        _ phases: [(GuestState.Phase, [String: String])]
    ) -> [(GuestState.Phase, String, [String: String])] {
        var previous = ""
        return phases.map { phase, inputs in
            let fingerprint = Self.fingerprint(phase == .planned ? "" : previous, inputs)
            if phase != .planned { previous = fingerprint }
            return (phase, fingerprint, inputs)
        }
    }

    static func fingerprint(_ previous: String, _ inputs: [String: String]) -> String {
        SHA256.hex(
            previous + "\n" + inputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
    }

    mutating func run(dryRun: Bool) async -> FleetReport.Guest {
        let started = ContinuousClock.now
        var result = await work(dryRun: dryRun)
        received?.remove()
        if !dryRun { result.seconds = Self.seconds(since: started) }
        return result
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private mutating func work(dryRun: Bool) async -> FleetReport.Guest {
        var lock: GuestLock?
        if !dryRun {
            do {
                lock = try state.lock(guest.name)
            } catch {
                return failed(error.description)
            }
            guard lock != nil else {
                report.outcome = .busy
                report.findings = ["another fleet run holds \(state.path)/\(guest.name).lock: left to it"]
                return report
            }
        }
        defer { _ = lock }
        var record: GuestState
        do {
            record = try state.read(guest.name) ?? GuestState(guest: guest.name)
        } catch {
            return failed(error.description)
        }
        report.phase = record.phases.last?.phase
        let definition: String
        var remoteInputs: String?
        switch guest.source {
        case .local:
            guard let data = FileManager.default.contents(atPath: guest.definitionPath) else {
                return refuse(
                    ["cannot read the definition \(guest.definitionPath): \(String(cString: strerror(errno)))"],
                    dryRun: dryRun)
            }
            definition = String(decoding: data, as: UTF8.self)
        case .ssh(let authority):
            switch await remote(authority, record: record, dryRun: dryRun) {
            case .unchanged(let host):
                report.outcome = .done
                (report.domain, report.domainXML) = (record.domain, record.domainXML)
                report.work.append(
                    "nothing to do: every phase is done, and the guest on \(host) (its definition, its disks) and "
                        + "its settings are unchanged; nothing received")
                return report
            case .received(let text, let disks, let inputs, let identities):
                definition = text
                received = disks
                remoteIdentities = identities
                remoteInputs = inputs
                let transports = Set(disks.disks.values.map(\.transport.rawValue)).sorted()
                report.work.append(
                    "received \(disks.disks.count) disks from \(authority) (\(transports.joined(separator: ", "))): "
                        + "\(disks.bytesReceived) bytes")
                if !disks.streamed.isEmpty {
                    report.work.append(
                        "\(disks.streamed.count) more by x2k, straight into their targets when converted (planned "
                            + "from their stream headers)")
                }
            case .surveyed(let read, let disks, let problems):
                return readiness(read, disks, problems: problems, record: record)
            case .refused(let reasons): return refuse(reasons, dryRun: dryRun)
            case .failed(let text): return failed(text)
            }
        }
        var result = await plan(definition, record: &record, dryRun: dryRun)
        if let remoteInputs, !dryRun, [.done, .finished].contains(result.outcome) {
            // The guest on its host as this run found it: a rerun that finds it so receives nothing.
            record.remoteInputs = remoteInputs
            do { try state.write(record) } catch { result = failed(error.description) }
        }
        return result
    }

    /// A guest whose definition is read: planned against its state, and the missing or changed
    /// phases done.
    private mutating func plan(_ definition: String, record: inout GuestState, dryRun: Bool) async
        -> FleetReport.Guest
    {
        // What this fleet made and is still there may be written over; nothing else.
        let owned = Set(record.made.filter(\.isStillThere).map(\.path))
        var plan: MigrationPlan
        do {
            plan = try await makePlan(definition, force: guest.options.force || !owned.isEmpty)
        } catch {
            return refuse(["\(guest.definitionPath): \(error.description)"], dryRun: dryRun)
        }
        report.domain = plan.domain.name
        report.domainXML = plan.xmlPath
        let refusals = foreign(plan.disks.map(\.target) + [plan.xmlPath], record: record) + plan.refusals
        report.findings += plan.definition.findings.filter { $0.severity == .warning }.map {
            "\($0.code): \($0.message)"
        }

        // The first phase whose inputs changed, or that is not done, and everything after it.
        let phases = Self.inputs(plan, definition: definition, guest: guest, remote: remoteIdentities)
        var from: GuestState.Phase?
        var work: [String] = []
        for (phase, fingerprint, inputs) in Self.fingerprints(phases) {
            guard from == nil, phase != .planned else { continue }
            if let done = record.done(phase) {
                if done.fingerprint == fingerprint {
                    if let gone = madeGone(phase, plan: plan, record: record) {
                        from = phase
                        work.append("\(phase.rawValue) again: \(gone)")
                    }
                    continue
                }
                let changed = inputs.keys.sorted().filter { done.inputs[$0] != inputs[$0] }
                let why = changed.isEmpty ? "an earlier phase changed" : changed.joined(separator: ", ") + " changed"
                work.append("\(phase.rawValue) again: \(why) since \(done.at)")
                from = phase
            } else {
                from = phase
                work.append("\(phase.rawValue): not done yet")
            }
        }
        // Nothing to do is done, whatever the plan would refuse now: nothing is written, and the
        // refusal may be the migration's own doing (its domain runs on KVM, so QEMU locks the
        // targets: the rerun after `virsh start`, as the Ansible role makes).
        guard let from else {
            report.outcome = .done
            report.phase = phases.last?.0
            report.work.append("nothing to do: every phase is done and its inputs are unchanged")
            return report
        }
        guard refusals.isEmpty else { return refuse(refusals, dryRun: dryRun) }
        report.work += work
        if from == .converted {
            report.bytes = plan.disks.reduce(0) { $0 + ($1.conversion?.bytesToCopy ?? 0) }
        }
        if dryRun {
            let overhead = guest.options.fix.editsOnly ? settings.editsOnlySeconds : settings.programsSeconds
            report.seconds = Double(report.bytes) / settings.bytesPerSecond + (from <= .fixed ? overhead : 1)
            if guest.bootCheck && from <= .bootChecked { report.seconds += settings.bootCheckSeconds }
            report.outcome = .ready
            return report
        }
        return await carryOut(plan: plan, definition: definition, from: from, phases: phases, record: &record)
    }

    /// Files in the way: a target or XML path holding a file this fleet did not make (unless the
    /// guest has force).
    func foreign(_ paths: [String], record: GuestState) -> [String] {
        guard !guest.options.force else { return [] }
        let owned = Set(record.made.filter(\.isStillThere).map(\.path))
        return paths.filter { !$0.isEmpty && DiskIdentity.of($0).kind == .file && !owned.contains($0) }.map {
            "\($0) exists and this fleet did not make it: remove it, or set force for the guest"
        }
    }

    /// Why a file a phase made is no longer the one it made; nil when all are.
    func madeGone(_ phase: GuestState.Phase, plan: MigrationPlan, record: GuestState) -> String? {
        let paths: [String] =
            switch phase {
            case .converted: plan.disks.map(\.target)
            case .domainWritten: [plan.xmlPath]
            default: []
            }
        for path in paths where !(record.made.first { $0.path == path }?.isStillThere ?? false) {
            return "\(path) is gone or is not the file this fleet made"
        }
        return nil
    }

    func makePlan(_ definition: String, force: Bool) async throws(XenDefinitionError) -> MigrationPlan {
        var options = guest.options
        options.force = force
        // A remote guest: its received copies are planned; its host was asked whether it runs.
        if case .ssh(let authority) = guest.source {
            options.sourceHost = "ssh://\(authority)"
            options.receivedCopies = received?.copies ?? [:]
            options.streamedDisks = received?.streamed ?? [:]
        }
        return try await MigrationPlanner.plan(
            definition: definition, form: guest.form, source: guest.definitionPath, options: options,
            xenToolPath: guest.source == .local ? settings.xenToolPath : nil, parser: settings.parser)
    }

    mutating func failed(_ text: String) -> FleetReport.Guest {
        report.outcome = .failed
        report.error = text
        report.findings.append(text)
        return report
    }

    private mutating func carryOut(
        plan: MigrationPlan, definition: String, from: GuestState.Phase,
        phases: [(GuestState.Phase, [String: String])], record: inout GuestState
    ) async -> FleetReport.Guest {
        var plan = plan
        let name = guest.name
        if from <= .converted {
            // Start the disks over: what this fleet made goes, then a plan as for a new guest.
            for made in record.made where made.isStillThere { unlink(made.path) }
            record.made.removeAll()
            record.rootPlan = nil
            record.forget(from: .converted)
            do {
                plan = try await makePlan(definition, force: guest.options.force)
            } catch {
                return refuse(["\(guest.definitionPath): \(error.description)"], dryRun: false)
            }
            guard plan.refusals.isEmpty else { return refuse(plan.refusals, dryRun: false) }
        } else {
            record.forget(from: from)
        }
        var fingerprints: [GuestState.Phase: (String, [String: String])] = [:]
        for (phase, fingerprint, inputs) in Self.fingerprints(
            Self.inputs(plan, definition: definition, guest: guest, remote: remoteIdentities))
        {
            fingerprints[phase] = (fingerprint, inputs)
        }
        func done(_ phase: GuestState.Phase) throws(FleetError) {
            guard let (fingerprint, inputs) = fingerprints[phase] else { return }
            record.record(
                .init(phase: phase, fingerprint: fingerprint, inputs: inputs, at: Date.now.ISO8601Format()))
            try state.write(record)
            report.phase = record.phases.last?.phase
        }
        do throws(FleetError) {
            try done(.planned)
            // A remote guest's disks were received before it was planned (x2k's: their headers;
            // their data comes during converted).
            try done(.transferred)
            do {
                try await Migrator.validate(plan)
            } catch {
                throw .state(error.description)
            }
            if from <= .converted {
                for disk in plan.disks {
                    guard let conversion = disk.conversion else { throw .state("\(disk.xen): not planned") }
                    settings.note("\(name): converting \(disk.xen) into \(disk.target)")
                    do {
                        let result = try await disk.copy(
                            conversion, progress: NoteProgress(guest: name, note: settings.note),
                            parser: settings.parser)
                        report.bytes += result.bytesCopied
                    } catch {
                        throw .state("\(disk.xen): \(error.description)")
                    }
                    if let made = GuestState.Made(disk.target) { record.made.append(made) }
                    if disk.role == .root { record.rootPlan = conversion }
                }
                try done(.converted)
            }
            if from <= .fixed {
                if let root = record.rootPlan {
                    settings.note("\(name): fixing the guest on \(root.target.path)")
                    var options = guest.options.fix
                    options.deviceMap = plan.deviceMap
                    options.inspection = settings.inspection
                    do {
                        var fixes = try await ConvertThenFix.fix(after: root, options)
                        fixes?.warnings.removeAll { warning in
                            plan.disks.contains { warning.hasPrefix("fstab expects /dev/\($0.kvmName) (") }
                        }
                        if let fixes {
                            report.findings += fixes.warnings
                            report.findings += fixes.notRun.map { "not run: \($0.program): \($0.reason)" }
                            report.findings.append("fixes: profile \(fixes.profile), \(fixes.edits.count) files edited")
                        }
                    } catch {
                        throw .state("the disks were copied, but the root's guest was not fixed: \(error.description)")
                    }
                }
                try done(.fixed)
            }
            if from <= .domainWritten {
                try Self.writeAtomically(plan.xml, to: plan.xmlPath)
                record.made.removeAll { $0.path == plan.xmlPath }
                if let made = GuestState.Made(plan.xmlPath) { record.made.append(made) }
                (record.domain, record.domainXML) = (plan.domain.name, plan.xmlPath)
                try done(.domainWritten)
            }
            if guest.bootCheck, from <= .bootChecked {
                try await bootCheck(plan)
                try done(.bootChecked)
            }
            if let uri = guest.define, from <= .defined {
                do {
                    try await LibvirtChecks.define(plan.xmlPath, uri: uri)
                } catch {
                    throw .state(error.description)
                }
                try done(.defined)
            }
            if let uri = guest.define, guest.start {
                do {
                    try await LibvirtChecks.start(plan.domain.name, uri: uri)
                } catch {
                    throw .state(error.description)
                }
                try done(.started)
            }
        } catch {
            try? state.write(record)
            // The first of the guest's phases after the last one done: where it stopped.
            report.failedAt = fingerprints.keys.filter { $0 > (report.phase ?? .planned) }.min()
            return failed(error.description)
        }
        report.outcome = .finished
        settings.note("\(name): finished (\(report.phase?.rawValue ?? ""))")
        return report
    }

    /// `migrate --boot-check`'s check: the guest's disks in the domain's order under QEMU, on
    /// snapshots; a guest that does not reach its login prompt is not defined.
    private mutating func bootCheck(_ plan: MigrationPlan) async throws(FleetError) {
        settings.note("\(guest.name): boot-checking the converted guest with its \(plan.disks.count) disks")
        let proof: MigrationBootCheck.Proof
        do {
            proof = try await MigrationBootCheck.run(
                plan, template: settings.bootOptions, progress: NoteProgress(guest: guest.name, note: settings.note))
        } catch {
            throw .state(error.description)
        }
        report.bootCheck = proof
        guard proof.booted else {
            throw .state(
                "the converted guest did not reach its login prompt under QEMU (stopped at \"\(proof.stage)\""
                    + (proof.failure.map { ", \($0)" } ?? "") + ", console log \(proof.consoleLog)): nothing was "
                    + "defined; look at the console log, fix the guest (`xen2kvm fix`), then run the fleet again "
                    + "(it boot-checks again)")
        }
        report.findings.append("boot check: \(proof.stage) in \(Int(proof.seconds)) s (\(proof.accelerator))")
    }

    static func writeAtomically(_ text: String, to path: String) throws(FleetError) {
        let temporary = "\(path).tmp-\(getpid())"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw .state("cannot write \(temporary): \(error)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .state("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
