import Conversion
import HostSystem
import Remote
import X2K
import XenDefinition

/// `migrate --from ssh://root@xen1 GUEST`: the guest's definition is read on the Xen host, a
/// guest `xl list` shows running there is refused before anything moves, and each disk is
/// received over the same ssh connection (convert's transports; of a swap area only its
/// header) into a staging file beside its target — or, by x2k, only its stream's header, the
/// disk then written straight into its target when the plan is followed (`StreamedDisk`).
/// From there it is a local migrate: the same planner, the same device map, the fixes once on
/// the root, the same domain XML.
public enum RemoteMigration {
    public struct Settings: Sendable {
        /// auto picks x2k for a clean bare ext disk when the Xen host has xen2kvm, else as
        /// convert does (e2image, dd); of a swap area only its header comes.
        public var transport: Transport = .auto
        /// How the transport was asked for, in the reason and a refusal (TransportChoice.choose).
        public var transportAskedAs = "--transport"
        /// The xen2kvm on the Xen host, for x2k: a name on its PATH or an absolute path.
        public var remoteXen2kvm = "xen2kvm"
        /// x2k's data records compressed with zstd.
        public var compress = false
        /// `ssh -F FILE`; nil: the user's ~/.ssh/config.
        public var sshConfig: String?
        /// Where the staging files go; nil: beside each disk's target.
        public var temporaryDirectory: String?
        /// Reads what was received (a swap area's header: libblkid, on bytes from the Xen host).
        public var parser: ImageParser = .inProcess

        public init() {}

        /// The fetch options for a disk staged in `stagingDirectory`.
        public func fetchOptions(stagingDirectory: String) -> RemoteFetch.Options {
            var fetch = RemoteFetch.Options(stagingDirectory: stagingDirectory)
            fetch.transport = transport
            fetch.transportAskedAs = transportAskedAs
            fetch.sshConfig = sshConfig
            fetch.remoteXen2kvm = transport == .auto || transport == .x2k ? remoteXen2kvm : ""
            return fetch
        }
    }

    /// How one disk comes over: of a swap area (with auto) only its header, received already;
    /// else the transport's choice, with the options to fetch it by.
    public enum Route: Sendable {
        case swapHeader(RemoteFetch.Received)
        case transport(TransportChoice, RemoteFetch.Options)
    }

    /// The one rule for how `source` comes over, for the run (`receive`) and a fleet's dry run
    /// alike: the swap header is received into `stagingDirectory` to be probed.
    public static func route(
        _ source: RemoteSource, settings: Settings, stagingDirectory: String, over connection: SSHConnection,
        progress: any ProgressReporter
    ) async throws(ConversionError) -> Route {
        if settings.transport == .auto,
            let header = try await swapHeader(
                source, on: connection, stagingDirectory: stagingDirectory, parser: settings.parser)
        {
            return .swapHeader(header)
        }
        let fetch = settings.fetchOptions(stagingDirectory: stagingDirectory)
        return .transport(
            try await RemoteFetch.choose(source, over: connection, options: fetch, progress: progress), fetch)
    }

    /// A guest as read on its Xen host, before any disk moves.
    public struct Guest: Sendable {
        public var endpoint: SSHEndpoint
        public var definition: RemoteXenHost.Definition
        public var parsed: XenDefinition
        public var name: String
        public var running: RemoteXenHost.Running
        /// Each disk path of the definition, once, in the definition's order.
        public var diskPaths: [String] {
            var seen: Set<String> = []
            return parsed.deviceMap.entries.map(\.target).filter { seen.insert($0).inserted }
        }

        /// Why the guest cannot be taken now; nil when it can.
        public var runningRefusal: String? { RemoteXenHost.refusal(running, name: name, host: endpoint.host) }
    }

    /// The disks received, by the definition's path, and those x2k will write straight into
    /// their targets (only their headers came); `remove()` deletes the staging files.
    public struct Received: Sendable {
        public var disks: [String: RemoteFetch.Received]
        public var streamed: [String: StreamedDisk] = [:]

        public var copies: [String: String] { disks.mapValues(\.staging) }
        public var bytesReceived: UInt64 { disks.values.reduce(0) { $0 + $1.bytesReceived } }

        public func remove() { for disk in disks.values { StagingFile.remove(disk) } }
    }

    /// Reads `guest` (an absolute path on the host, or a guest name looked up in /etc/xen, then
    /// `virsh dumpxml`) and asks the host whether it runs.
    public static func read(
        _ guest: String, form: DefinitionForm?, over connection: SSHConnection, progress: any ProgressReporter
    ) async throws(MigrationError) -> Guest {
        let host = connection.endpoint.host
        let definition: RemoteXenHost.Definition
        do {
            definition = try await RemoteXenHost.definition(guest, over: connection)
        } catch {
            throw .remote(host: host, error)
        }
        progress.note("definition: \(definition.origin) on \(host)")
        let parsed: XenDefinition
        do {
            parsed = try XenDefinitionReader.read(definition.text, form: form, source: definition.origin)
        } catch {
            throw .definition("\(connection.endpoint.authority):\(definition.origin): \(error.description)")
        }
        let name = parsed.guest.name ?? guest
        let running: RemoteXenHost.Running
        do {
            running = try await RemoteXenHost.running(name, over: connection)
        } catch {
            throw .remote(host: host, error)
        }
        switch running {
        case .running: break
        case .notRunning(let tool): progress.note("\(name) is not running there (`\(tool) list \(name)` on \(host))")
        case .unknown:
            progress.note(
                "neither xl nor xm is on \(host): whether \(name) runs cannot be seen there; make sure it is shut down")
        }
        return Guest(
            endpoint: connection.endpoint, definition: definition, parsed: parsed, name: name, running: running)
    }

    /// Receives every disk of `guest` (each with the transport `settings` asks for, the reason
    /// noted), into staging files beside the targets `options` gives; of a disk x2k will write
    /// only its stream's header, for its plan. On a failure the files received so far are removed.
    public static func receive(
        _ guest: Guest, options: MigrationOptions, settings: Settings, over connection: SSHConnection,
        progress: any ProgressReporter
    ) async throws(MigrationError) -> Received {
        var received = Received(disks: [:])
        for entry in guest.parsed.deviceMap.entries
        where received.disks[entry.target] == nil && received.streamed[entry.target] == nil {
            let target = MigrationPlanner.target(of: entry, guest: guest.name, options: options)
            let beside = options.diskTargets[entry.xen].map {
                RemoteFetch.stagingDirectory(target: $0, temporaryDirectory: nil)
            }
            guard let directory = settings.temporaryDirectory ?? beside ?? options.storageDirectory, let target else {
                received.remove()
                throw .refused(["\(entry.xen): no target: pass --storage dir:PATH or --disk \(entry.xen)=TARGET"])
            }
            let source = RemoteSource(endpoint: guest.endpoint, path: entry.target)
            do throws(ConversionError) {
                var choice: TransportChoice
                var fetch: RemoteFetch.Options
                switch try await Self.route(
                    source, settings: settings, stagingDirectory: directory, over: connection, progress: progress)
                {
                case .swapHeader(let header):
                    progress.note("received \(source) (\(entry.xen)) by dd, \(header.reason)")
                    received.disks[entry.target] = header
                    continue
                case .transport(let chosen, let chosenFetch): (choice, fetch) = (chosen, chosenFetch)
                }
                if choice.transport == .x2k {
                    let streamed = try await streamedDisk(
                        source, choice: choice, target: target, options: options, settings: settings,
                        over: connection)
                    guard let why = streamed.notX2K else {
                        progress.note(
                            "planned \(source) (\(entry.xen)) from its x2k header: x2k writes it into \(target)")
                        received.streamed[entry.target] = streamed.0
                        continue
                    }
                    // auto: a target x2k cannot write as it is (another method) takes e2image.
                    progress.note("\(entry.xen): not x2k, \(why)")
                    fetch.transport = .e2image
                    choice = try await RemoteFetch.choose(source, over: connection, options: fetch, progress: progress)
                }
                let disk = try await RemoteFetch.fetch(
                    source, choice: choice, over: connection, options: fetch, progress: progress)
                progress.note(
                    "received \(source) (\(entry.xen)) by \(disk.transport.rawValue): "
                        + "\(disk.bytesReceived) bytes in \(Int(disk.seconds.rounded())) s")
                received.disks[entry.target] = disk
            } catch {
                received.remove()
                throw .conversion(disk: entry.xen, error)
            }
        }
        return received
    }

    /// The x2k disk of `source`, from its stream's header; with auto, the reason it cannot be
    /// one when its plan (made as the planner will make it) needs a method other than blocks.
    private static func streamedDisk(
        _ source: RemoteSource, choice: TransportChoice, target: String, options: MigrationOptions,
        settings: Settings, over connection: SSHConnection
    ) async throws(ConversionError) -> (StreamedDisk, notX2K: String?) {
        let remoteXen2kvm = choice.remoteXen2kvm ?? settings.remoteXen2kvm
        let header = try await X2KReceiver.header(of: source, remoteXen2kvm: remoteXen2kvm, over: connection)
        var disk = try StreamedDisk(
            source: source, remoteXen2kvm: remoteXen2kvm, sshConfig: settings.sshConfig, reason: choice.reason,
            header: header)
        disk.compress = settings.compress
        guard settings.transport == .auto else { return (disk, nil) }
        var convert = ConvertOptions(source: source.description, target: target)
        convert.force = options.force
        if case .success(let plan) = disk.plan(convert).0, plan.method != .blocks {
            return (disk, "its plan needs method \(plan.method.rawValue) (\(plan.methodReason))")
        }
        return (disk, nil)
    }

    /// A swap area's header in a staging file of its size (what the swap method reads of it);
    /// nil, and nothing left, when the disk holds anything else. Same verdict as the planner's
    /// (`DiskContent`), from libblkid.
    public static func swapHeader(
        _ source: RemoteSource, on connection: SSHConnection, stagingDirectory: String, parser: ImageParser
    ) async throws(ConversionError) -> RemoteFetch.Received? {
        let head = try await RemoteFetch.receiveHead(source, on: connection, stagingDirectory: stagingDirectory)
        if await parser.probe(head.staging).map(DiskContent.init) == .swap { return head }
        StagingFile.remove(head)
        return nil
    }

    /// The options that plan the received copies in place of the Xen host's paths.
    public static func options(_ options: MigrationOptions, for guest: Guest, received: Received) -> MigrationOptions {
        var options = options
        options.sourceHost = "ssh://\(guest.endpoint.authority)"
        options.receivedCopies = received.copies
        options.streamedDisks = received.streamed
        return options
    }

    /// The whole of `migrate --from` up to the plan: connect, read, refuse a running guest
    /// (nothing received), receive the disks, plan them as a local migrate does. The caller
    /// follows the plan (`Migrator.run`) and removes the staging files (`Received.remove`).
    public static func plan(
        _ guest: String, from endpoint: SSHEndpoint, form: DefinitionForm?, options: MigrationOptions,
        settings: Settings, progress: any ProgressReporter
    ) async throws(MigrationError) -> (MigrationPlan, Received) {
        let connection: SSHConnection
        do {
            connection = try await SSHConnection.open(endpoint, configFile: settings.sshConfig)
        } catch {
            throw .remote(host: endpoint.host, error)
        }
        let read: Guest
        let received: Received
        do throws(MigrationError) {
            read = try await Self.read(guest, form: form, over: connection, progress: progress)
            if let refusal = read.runningRefusal { throw .refused([refusal]) }
            received = try await receive(
                read, options: options, settings: settings, over: connection, progress: progress)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        do {
            let plan = try await MigrationPlanner.plan(
                definition: read.definition.text, form: form, source: read.definition.origin,
                options: Self.options(options, for: read, received: received), xenToolPath: nil,
                parser: settings.parser)
            return (plan, received)
        } catch {
            received.remove()
            throw .definition("\(read.definition.origin): \(error.description)")
        }
    }
}
