import Conversion
import FoundationEssentials
import Migration
import Remote

/// A guest whose `source` is a Xen host (`ssh://root@xen1`): its definition is read there and
/// its disks are received over one ssh connection, as `migrate --from` does; then it is planned
/// and run as a local guest, on the received copies.
extension GuestWork {
    enum RemoteSide {
        /// The guest is as it was when every phase was done: nothing is received.
        case unchanged(host: String)
        case received(definition: String, RemoteMigration.Received, inputs: String, identities: [String: String])
        /// A dry run: the guest read and each disk probed there, nothing received.
        case surveyed(RemoteMigration.Guest, [DiskSurvey], problems: [String])
        case refused([String])
        case failed(String)
    }

    /// How this guest's disks come over: the manifest's transport (the guest's, else the
    /// defaults'), else the fleet's --transport; the reasons say which asked.
    var transport: Transport { guest.settings.transport ?? settings.transport }
    var transportAskedAs: String { guest.settings.transport == nil ? "--transport" : "the manifest's transport" }
    /// The xen2kvm on the Xen host, for x2k: the manifest's, else the fleet's --remote-xen2kvm.
    var remoteXen2kvm: String { guest.settings.remoteXen2kvm ?? settings.remoteXen2kvm }

    /// How the remote migrate receives this guest's disks (and the dry run surveys them).
    var remoteSettings: RemoteMigration.Settings {
        var remote = RemoteMigration.Settings()
        remote.transport = transport
        remote.transportAskedAs = transportAskedAs
        remote.remoteXen2kvm = remoteXen2kvm
        remote.sshConfig = settings.sshConfig
        remote.parser = settings.parser
        return remote
    }

    /// The last phase a finished guest has done.
    var lastPhase: GuestState.Phase {
        guard guest.define != nil else { return guest.bootCheck ? .bootChecked : .domainWritten }
        return guest.start ? .started : .defined
    }

    /// Reads the guest on its host; when `record` says every phase was done with the same
    /// definition, disks (by identity there) and settings, stops there. Otherwise a dry run
    /// probes each disk there, and a run receives the disks into staging files (the caller
    /// removes them).
    func remote(_ authority: String, record: GuestState, dryRun: Bool) async -> RemoteSide {
        let endpoint: SSHEndpoint
        do {
            endpoint = try SSHEndpoint.parse(url: "ssh://\(authority)")
        } catch {
            return .refused([error.description])
        }
        let connection: SSHConnection
        do {
            connection = try await SSHConnection.open(endpoint, configFile: settings.sshConfig)
        } catch {
            return .failed(error.description)
        }
        let side = await remote(over: connection, record: record, dryRun: dryRun)
        await connection.close()
        return side
    }

    private func remote(over connection: SSHConnection, record: GuestState, dryRun: Bool) async -> RemoteSide {
        let progress = NoteProgress(guest: guest.name, note: settings.note)
        let read: RemoteMigration.Guest
        do {
            read = try await RemoteMigration.read(
                guest.definitionPath, form: guest.form, over: connection, progress: progress)
        } catch {
            return error.exitCode == 2 ? .refused([error.description]) : .failed(error.description)
        }
        if let refusal = read.runningRefusal { return .refused([refusal]) }
        let host = "ssh://\(connection.endpoint.authority)"
        let identities: [String: String]
        do {
            let byPath = try await RemoteXenHost.identities(read.diskPaths, over: connection)
            identities = Dictionary(uniqueKeysWithValues: byPath.map { (host + $0.key, $0.value) })
        } catch {
            return .failed(error.description)
        }
        let inputs = remoteInputs(definition: read.definition.text, identities: identities)
        if record.remoteInputs == inputs, record.done(lastPhase) != nil, !record.made.isEmpty,
            record.made.allSatisfy(\.isStillThere)
        {
            return .unchanged(host: connection.endpoint.host)
        }
        if dryRun { return await survey(read, over: connection, progress: progress) }
        do {
            let received = try await RemoteMigration.receive(
                read, options: guest.options, settings: remoteSettings, over: connection, progress: progress)
            return .received(
                definition: read.definition.text, received, inputs: inputs, identities: identities)
        } catch {
            return error.exitCode == 2 ? .refused([error.description]) : .failed(error.description)
        }
    }

    /// How a disk would come over, as the run will choose: a swap area's header only, else x2k
    /// or the staging transports; a disk that cannot be read is a problem.
    private func survey(
        _ read: RemoteMigration.Guest, over connection: SSHConnection, progress: any ProgressReporter
    ) async -> RemoteSide {
        var disks: [DiskSurvey] = []
        var problems: [String] = []
        var seen: Set<String> = []
        for entry in read.parsed.deviceMap.entries where seen.insert(entry.target).inserted {
            let source = RemoteSource(endpoint: connection.endpoint, path: entry.target)
            do {
                switch try await RemoteMigration.route(
                    source, settings: remoteSettings, stagingDirectory: "/var/tmp", over: connection,
                    progress: progress)
                {
                case .swapHeader(let header):
                    StagingFile.remove(header)
                    disks.append(
                        .init(xen: entry.xen, transport: "dd", bytes: header.bytesReceived, reason: header.reason))
                case .transport(let choice, _):
                    disks.append(
                        .init(
                            xen: entry.xen, transport: choice.transport.rawValue, bytes: choice.streamBytes,
                            reason: choice.reason))
                }
            } catch {
                problems.append("\(entry.xen): \(error.description)")
            }
        }
        return .surveyed(read, disks, problems: problems)
    }

    /// A disk of a dry run's survey: how it would come over, and how many bytes.
    struct DiskSurvey {
        var xen: String
        var transport: String
        var bytes: UInt64
        var reason: String
    }

    /// A dry run's readiness of a remote guest from its survey: the definition's blockers, the
    /// disks that cannot be read, targets in the way; the bytes its disks' streams would bring.
    /// Convert's own checks of each disk wait for the run, which receives it.
    mutating func readiness(
        _ read: RemoteMigration.Guest, _ disks: [DiskSurvey], problems: [String],
        record: GuestState
    ) -> FleetReport.Guest {
        report.domain = read.name
        var refusals = read.parsed.findings.filter { $0.severity == .blocker }.map { "\($0.code): \($0.message)" }
        refusals += problems
        var paths: [String] = []
        var root: String?
        for entry in read.parsed.deviceMap.entries {
            guard let target = MigrationPlanner.target(of: entry, guest: read.name, options: guest.options) else {
                refusals.append("\(entry.xen): no target: set storage or disks for the guest")
                continue
            }
            if entry.isRoot { root = target }
            paths.append(target)
        }
        paths.append(MigrationPlanner.xmlPath(name: read.name, rootTarget: root, options: guest.options))
        refusals += foreign(paths, record: record)
        report.findings += read.parsed.findings.filter { $0.severity == .warning }.map { "\($0.code): \($0.message)" }
        guard refusals.isEmpty else { return refuse(refusals, dryRun: true) }
        report.work.append(
            record.remoteInputs == nil
                ? "not done yet: its disks are received and converted"
                : "changed on \(read.endpoint.host) since every phase was done (its definition, disks or settings): its "
                    + "disks are received again and the phases whose inputs changed redone")
        for disk in disks {
            report.work.append("\(disk.xen): transport \(disk.transport), \(disk.bytes) bytes: \(disk.reason)")
        }
        report.work.append(
            "planned from the Xen host without receiving the disks (only their first 64 KiB, to find a swap area); "
                + "convert's checks of each disk run once it is received")
        report.bytes = disks.reduce(0) { $0 + $1.bytes }
        let overhead = guest.options.fix.editsOnly ? settings.editsOnlySeconds : settings.programsSeconds
        report.seconds =
            Double(report.bytes) / settings.bytesPerSecond + overhead
            + (guest.bootCheck ? settings.bootCheckSeconds : 0)
        report.outcome = .ready
        return report
    }

    /// What a remote guest was done with, as one digest: its definition, its disks' identities
    /// on the host, and its settings in the manifest.
    func remoteInputs(definition: String, identities: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // How the disks come over is not what the guest is done with: every transport gives the
        // same disks, so changing it redoes nothing.
        var asDone = guest.settings
        asDone.transport = nil
        asDone.remoteXen2kvm = nil
        let settings = (try? encoder.encode(asDone)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let disks = guest.disks.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return SHA256.hex(
            ([SHA256.hex(definition), settings, guest.form?.rawValue ?? "", "\(guest.start)"] + disks
                + identities.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }).joined(separator: "\n"))
    }
}

/// The remote steps' notes (the definition read, the transport and why, the disks received),
/// as the fleet's per-guest notes.
struct NoteProgress: ProgressReporter {
    let guest: String
    let note: @Sendable (String) -> Void

    func begin(step: String, total: UInt64) {}
    func advance(done: UInt64) {}
    func end() {}
    func note(_ text: String) { note("\(guest): \(text)") }
}
