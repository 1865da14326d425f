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
        case refused([String])
        case failed(String)
    }

    /// The last phase a finished guest has done.
    var lastPhase: GuestState.Phase {
        guard guest.define != nil else { return .domainWritten }
        return guest.start ? .started : .defined
    }

    /// Reads the guest on its host; when `record` says every phase was done with the same
    /// definition, disks (by identity there) and settings, stops there. Otherwise receives the
    /// disks into staging files (the caller removes them), also in a dry run: planning reads them.
    func remote(_ authority: String, record: GuestState) async -> RemoteSide {
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
        let side = await remote(over: connection, record: record)
        await connection.close()
        return side
    }

    private func remote(over connection: SSHConnection, record: GuestState) async -> RemoteSide {
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
        var remoteSettings = RemoteMigration.Settings()
        remoteSettings.transport = settings.transport
        remoteSettings.sshConfig = settings.sshConfig
        do {
            let received = try await RemoteMigration.receive(
                read, options: guest.options, settings: remoteSettings, over: connection, progress: progress)
            return .received(
                definition: read.definition.text, received, inputs: inputs, identities: identities)
        } catch {
            return error.exitCode == 2 ? .refused([error.description]) : .failed(error.description)
        }
    }

    /// What a remote guest was done with, as one digest: its definition, its disks' identities
    /// on the host, and its settings in the manifest.
    func remoteInputs(definition: String, identities: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settings = (try? encoder.encode(guest.settings)).map { String(decoding: $0, as: UTF8.self) } ?? ""
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
