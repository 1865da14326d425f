import ArgumentParser
import BootCheck
import Conversion
import FoundationEssentials
import HostSystem
import Migration
import Remote
import XenDefinition

/// `migrate`: a whole Xen guest to a KVM libvirt domain, from its definition. The work is
/// Migration's (MigrationPlanner, Migrator); this command parses and prints.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move a whole Xen guest to KVM: every disk of its definition, the fixes, the libvirt domain XML.",
        discussion: """
            GUEST is the guest's definition: an xl.cfg, an xm config, the JSON of \
            `xl -N create CFG` or `virsh dumpxml --inactive` XML of a Xen domain; which one is \
            found from the text (--form names it). Nothing in it is run.

            Each disk of the definition gets a target (--storage dir:PATH gives PATH/<guest>-<vdev>.img; \
            --disk xvda1=TARGET names one, and wins) and a method: the root becomes a partitioned \
            KVM disk that boots (convert's methods), a swap area gets the swap method, another bare \
            ext/XFS filesystem goes into partition 1 of a disk of its own, anything else is cloned \
            as it is. The device map (xvda1 → vda1, xvda2 → vdb1, …) is derived once from the \
            definition (--map XEN=KVM overrides one name) and the guest fixes run once, on the \
            root, with it. The sources are never \
            written. Then the KVM domain XML (virtio disks and NICs with the Xen MACs, serial \
            console, guest agent channel, machine pc) is written beside the disks as <guest>.xml \
            and checked three ways: xen2kvm's own checks, virt-xml-validate and \
            `virsh -c test:///default define`. --boot-check boots the converted guest with all its \
            disks under QEMU first; one that does not reach its login prompt is not defined. A guest `xl list` (or `xm list`) still shows \
            running is refused, as are disks in use.

            --from ssh://[USER@]HOST[:PORT] migrates a guest of that Xen host from here (the KVM \
            host), over one ssh connection: GUEST is then a guest name (its definition is \
            /etc/xen/GUEST.cfg or /etc/xen/GUEST there, else `virsh dumpxml --inactive GUEST` \
            where virsh is) or the absolute path of a definition there. A guest `xl list` (or \
            `xm list`) shows running there is refused before anything moves. Each disk is \
            received as `convert ssh://…` receives one (--transport, the reason printed): by \
            default a clean bare ext disk (the root, a data volume) by x2k when the Xen host has \
            xen2kvm (--remote-xen2kvm), its plan made from the stream's header and the used \
            blocks written straight into its target (resumable: run the same command again); \
            any other disk into a staging file beside its target (or in --temp-dir), migrated \
            as above, and removed; of a swap area only its header.

            Examples:
              xen2kvm migrate /etc/xen/web01.cfg --storage dir:/srv/kvm --dry-run
              xen2kvm migrate web01.cfg --disk xvda1=/dev/vg1/web01 --disk xvda2=/dev/vg1/web01-swap
              xen2kvm migrate web01.cfg --storage dir:/srv/kvm --bridge-map xenbr0=br0 \\
                  --boot-check --define qemu:///system --start
              xen2kvm migrate --from ssh://root@xen1 web01 --storage dir:/srv/kvm

            Exit status: 0 done (--dry-run: the plan would run); 1 failed while working; 2 refused \
            (nothing written); 130 interrupted; 64 bad usage.
            """)

    @Argument(help: "The guest's Xen definition file; with --from, a guest name or a definition's path there.")
    var guest: String

    @Option(
        help: ArgumentHelp(
            "The Xen host the guest is on, read over ssh: ssh://[USER@]HOST[:PORT].", valueName: "ssh-url"))
    var from: String?

    @OptionGroup var remote: RemoteOptions

    @OptionGroup var compression: CompressOption

    @Option(help: "With --from: the directory for the received disks (default: beside their targets).")
    var tempDir: String?

    @Option(help: "The definition's form: xl, xm, xl-json or libvirt-xml (default: found from the text).")
    var form: DefinitionForm?

    @Option(help: "Where the disks go: dir:PATH makes PATH/<guest>-<vdev>.img for each disk not given by --disk.")
    var storage: String?

    @Option(
        name: .customLong("disk"),
        help: ArgumentHelp(
            "The target of one Xen disk, e.g. xvda1=/dev/vg1/web01 (repeat for each).", valueName: "vdev=target"))
    var disks: [String] = []

    @Option(help: "libvirt domain type: kvm, or qemu (TCG, no /dev/kvm needed).")
    var domainType: DomainType = .kvm

    @Option(
        name: .customLong("bridge-map"),
        help: ArgumentHelp(
            "A Xen bridge's name on the KVM host, e.g. xenbr0=br0 (repeatable; default: the same name).",
            valueName: "xen=kvm"))
    var bridgeMaps: [String] = []

    @OptionGroup var fix: FixFlags

    @Flag(help: "Overwrite targets (and the domain XML) that hold data.")
    var force = false

    @Flag(help: "Print the whole plan (disks, methods, device map, the XML) and write nothing.")
    var dryRun = false

    @Flag(help: "Print the plan and the result as one JSON object.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "After the checks, define the domain on this libvirt, e.g. qemu:///system.", valueName: "uri"))
    var define: String?

    @Flag(help: "Start the domain once defined (needs --define).")
    var start = false

    @Flag(
        help: ArgumentHelp(
            "Before anything is defined, boot the converted guest with all its disks under QEMU (on snapshots) "
                + "and go on only when it reaches its login prompt."))
    var bootCheck = false

    @Option(help: "With --boot-check: seconds to wait for the login prompt.")
    var bootTimeout: Double = 300

    @Option(help: "With --boot-check: the accelerator, auto, kvm or tcg.")
    var accel: BootOptions.Accelerator = .auto

    @OptionGroup var log: LogOptions

    func validate() throws {
        if storage != nil && MigrationOptions.storageDirectory(from: storage!) == nil {
            throw ValidationError("--storage \(storage!): write dir:PATH")
        }
        for pair in disks + bridgeMaps where Self.pair(pair) == nil {
            throw ValidationError("\(pair): write NAME=VALUE, e.g. xvda1=/srv/web01.img or xenbr0=br0")
        }
        if start && define == nil { throw ValidationError("--start needs --define URI") }
        if bootCheck && dryRun { throw ValidationError("--boot-check boots converted disks: a --dry-run writes none") }
        if let from {
            do { _ = try SSHEndpoint.parse(url: from) } catch { throw ValidationError(error.description) }
            try remote.check(compression)
            guard guest.hasPrefix("/") || RemoteXenHost.isGuestName(guest) else {
                throw ValidationError(
                    "\(guest): with --from, name the guest (web01) or its definition's absolute path on the Xen host")
            }
        } else if remote.anyGiven || compression.compress != nil || tempDir != nil {
            throw RemoteOptions.onlyRemote(for: "a guest on a Xen host (--from)", others: ["--temp-dir"])
        }
    }

    static func pair(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex,
            text.index(after: equals) != text.endIndex
        else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    func run() async throws { try await log.run { try await RunRecord.during(migrate) } }

    private func migrate() async throws {
        var options = MigrationOptions()
        options.storageDirectory = storage.flatMap(MigrationOptions.storageDirectory(from:))
        for (vdev, target) in disks.compactMap(Self.pair) { options.diskTargets[vdev] = target }
        for (xen, kvm) in bridgeMaps.compactMap(Self.pair) { options.bridgeMap[xen] = kvm }
        options.domainType = domainType
        options.force = force
        options.fix = fix.options(for: "", dryRun: false)
        let progress: any ProgressReporter = json ? SilentProgress() : ProgressDisplay()
        let plan: MigrationPlan
        var received: RemoteMigration.Received?
        defer { received?.remove() }
        if let from, let endpoint = try? SSHEndpoint.parse(url: from) {
            // The disks are received into staging files first; the rest is a local migrate.
            Cancellation.install()
            var settings = RemoteMigration.Settings()
            remote.apply(to: &settings)
            settings.compress = compression.zstd
            settings.temporaryDirectory = tempDir
            settings.parser = .contained
            do {
                (plan, received) = try await RemoteMigration.plan(
                    guest, from: endpoint, form: form, options: options, settings: settings, progress: progress)
            } catch {
                ErrorOutput.print(error.description)
                throw ExitCode(error.exitCode)
            }
        } else {
            let text: String
            do {
                text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: guest)), as: UTF8.self)
            } catch {
                ErrorOutput.print("cannot read \(guest): \(error)")
                throw ExitCode(1)
            }
            do {
                plan = try await MigrationPlanner.plan(
                    definition: text, form: form, source: guest, options: options, parser: .contained)
            } catch {
                ErrorOutput.print("\(guest): \(error.description)")
                throw ExitCode(1)
            }
        }
        if dryRun {
            try printOut(plan: plan, received: received, result: nil, error: nil)
            if !plan.refusals.isEmpty { throw ExitCode(2) }
            return
        }
        if !json { print(MigrateText.render(plan), terminator: "") }
        Cancellation.install()
        let result: MigrationResult
        do {
            result = try await Migrator.run(
                plan, fix: options.fix, bootCheck: bootCheck ? bootOptions : nil, define: define, start: start,
                progress: progress, parser: .contained)
        } catch {
            if json { try printOut(plan: plan, received: received, result: nil, error: error.description) }
            ErrorOutput.print(error.description)
            throw ExitCode(error.exitCode)
        }
        if json {
            try printOut(plan: plan, received: received, result: result, error: nil)
        } else {
            print(MigrateText.render(result))
        }
    }

    /// The boot check's settings; its disks come from the plan.
    private var bootOptions: BootOptions {
        var options = BootOptions(disk: "")
        options.timeoutSeconds = bootTimeout
        options.accelerator = accel
        return options
    }

    private struct Output: Encodable {
        var plan: MigrationPlan
        /// With --from: each disk as received (transport, reason, bytes).
        var received: [RemoteFetch.Received]?
        var result: MigrationResult?
        var error: String?
    }

    private func printOut(
        plan: MigrationPlan, received: RemoteMigration.Received?, result: MigrationResult?, error: String?
    ) throws {
        if json {
            let disks = received.map { received in
                plan.disks.compactMap { disk in received.disks.values.first { $0.staging == disk.source } }
            }
            try JSONOutput.print(Output(plan: plan, received: disks, result: result, error: error))
        } else {
            print(MigrateText.render(plan), terminator: "")
        }
    }
}

extension DefinitionForm: ExpressibleByArgument {}
extension DomainType: ExpressibleByArgument {}
