import ArgumentParser
import BootCheck
import Fleet
import HostSystem
import Migration
import Remote

/// `fleet`: many guests from a manifest. The work is Fleet's (Fleet.run over MigrationPlanner
/// and the migrate steps); this command parses and prints.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Migrate the guests of a manifest: plan them all, then run them N at a time, resumably.",
        discussion: """
            MANIFEST is JSON: "defaults" (storage, bridgeMap, domainType, define, start, force, fix, \
            bootCheck, transport, remoteXen2kvm) \
            and "guests", each with its name, its definition file and any of the defaults' \
            settings for itself (and "disks", "form"). Relative paths are the manifest's \
            directory's. A guest's "source" may name its Xen host (ssh://root@xen1): its \
            "definition" is then a path there or the guest's name (/etc/xen/NAME.cfg, \
            /etc/xen/NAME), and it is migrated as `migrate --from` does: one ssh connection, \
            refused while `xl list` shows it running there, each disk received (--transport) \
            into a staging file beside its target. Its "transport" (auto, x2k, e2image, dd) and \
            "remoteXen2kvm" win over --transport and --remote-xen2kvm. A rerun that finds the \
            guest's definition, its disks (by identity on the host) and its settings (but how \
            the disks come over: every transport gives the same disks) as they were when every \
            phase was done receives nothing; otherwise the disks are received again to plan it. A \
            dry run receives nothing: it reads the definition, asks `xl list` and probes each \
            disk there (the transport and the bytes it would bring); convert's own checks of \
            each disk wait for the run.

            --dry-run plans every guest and prints the fleet's readiness: ready, fixable \
            (refused for a reason cleared without changing the guest: it still runs, a target \
            is in the way), blocked (and why), done (nothing to do); bytes to move and a time \
            estimate, with what it assumes. Nothing is written.

            The run takes each guest's lock (STATE/NAME.lock, so two runs never take one guest), \
            compares what each phase (planned, transferred, converted, fixed, domain written, \
            boot-checked, defined, started) was done with (the fingerprint of its inputs, in STATE/NAME.json) with \
            now, and redoes only the first phase that is missing or changed and those after \
            it, saying why. A guest failing never stops the others. A guest has the phases its \
            settings ask for: transferred when it is on a Xen host (its disks received; a local \
            guest's are read in place by converted), boot-checked with "bootCheck": true (the \
            converted guest booted under QEMU as `migrate --boot-check` does, --boot-timeout, \
            --accel; one that does not reach its login prompt stops there, not defined), defined \
            with define, started with start. --per-source N runs at most N guests of one source \
            host at a time (this host counts as one), so one Xen host's disks and link are not \
            all taken at once.

            Examples:
              xen2kvm fleet fleet.json --dry-run
              xen2kvm fleet fleet.json --parallel 4
              xen2kvm fleet fleet.json --parallel 8 --per-source 2
              xen2kvm fleet fleet.json --only web01 --only db01 --json

            Exit status: 0 every guest finished or done (--dry-run: every guest ready or done); \
            1 a guest failed; 2 a guest refused; 75 only guests another run holds are left; 64 \
            bad usage or a bad manifest.
            """)

    @Argument(help: "The fleet manifest (JSON).")
    var manifest: String

    @Option(help: "Guests at a time.")
    var parallel = 1

    @Option(
        help: ArgumentHelp(
            "At most this many guests at a time from one source host (this host counts as one), within --parallel.",
            valueName: "n"))
    var perSource: Int?

    @Option(help: "For guests with bootCheck: seconds to wait for the login prompt.")
    var bootTimeout: Double = 300

    @Option(help: "For guests with bootCheck: the accelerator, auto, kvm or tcg.")
    var accel: BootOptions.Accelerator = .auto

    @Option(name: .customLong("only"), help: ArgumentHelp("Only this guest (repeatable).", valueName: "name"))
    var only: [String] = []

    @Option(help: ArgumentHelp("The state directory (default: the manifest's name with .state).", valueName: "dir"))
    var state: String?

    @Option(help: "The estimate's copy rate per guest, in MiB/s.")
    var rate = 150.0

    @OptionGroup var remote: RemoteOptions

    @Flag(help: "Plan every guest, print the fleet's readiness, write nothing.")
    var dryRun = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup var log: LogOptions

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel wants 1 or more") }
        if let perSource, perSource < 1 { throw ValidationError("--per-source wants 1 or more") }
        guard bootTimeout > 0 else { throw ValidationError("--boot-timeout wants seconds above 0") }
        guard rate > 0 else { throw ValidationError("--rate wants MiB/s above 0") }
    }

    func run() async throws { try await log.run { try await RunRecord.during(fleet) } }

    private func fleet() async throws {
        var guests: [FleetGuest]
        let directory: StateDirectory
        do {
            guests = try Fleet.load(manifest)
            let unknown = only.filter { name in !guests.contains { $0.name == name } }
            guard unknown.isEmpty else {
                ErrorOutput.print(
                    "--only \(unknown.joined(separator: ", ")): not in \(manifest) (it has "
                        + "\(guests.map(\.name).joined(separator: ", ")))")
                throw ExitCode(64)
            }
            if !only.isEmpty { guests = guests.filter { only.contains($0.name) } }
            directory = try StateDirectory(state ?? Fleet.defaultStateDirectory(for: manifest))
        } catch let error as FleetError {
            ErrorOutput.print(error.description)
            throw ExitCode(64)
        }
        var settings = FleetSettings(parser: .contained)
        settings.inspection = .contained
        settings.bytesPerSecond = rate * 1_048_576
        remote.apply(to: &settings)
        settings.bootOptions.timeoutSeconds = bootTimeout
        settings.bootOptions.accelerator = accel
        if !json { settings.note = { RawOutput.stderr("\($0)\n") } }
        if !dryRun { Cancellation.install() }
        let report = await Fleet.run(
            guests, state: directory, parallel: parallel, perSource: perSource, dryRun: dryRun, settings: settings)
        if json { try JSONOutput.print(report) } else { print(FleetText.render(report), terminator: "") }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
