import ArgumentParser
import FoundationEssentials
import GuestFixes
import GuestSession
import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The options `fix` and `convert` share.
struct FixFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Guest profile: \(Profile.all.joined(separator: ", ")) (auto: from inspection), or the path of your "
                + "own guest helper script (see the README's helper contract)."))
    var profile = "auto"

    @Option(
        name: .customLong("map"),
        help: "Map another Xen disk to its KVM name, e.g. --map xvdc=vdb (default: xvdb=vdb). Repeatable.")
    var maps: [String] = []

    @Flag(help: "Apply file edits only; run no guest program (says what was not run).")
    var editsOnly = false

    @Option(
        name: .customLong("helper"),
        help: ArgumentHelp(
            "An executable run on the host with the disk's block device as its only argument, after the fixes. "
                + "It is a trusted host program: it runs as root, not contained like the guest's own programs."))
    var helpers: [String] = []

    @Flag(
        help: ArgumentHelp(
            "Run the guest's own programs (initrd rebuild, grub, setfiles) as host root in a chroot instead of "
                + "contained (an unprivileged user namespace with an idmapped root, seccomp, limits). Only for "
                + "guests you trust, on hosts that cannot contain them; the report says so."))
    var trustGuest = false

    @Option(help: "Stop a guest program still running after this many seconds, with all it started.")
    var guestTimeout = GuestLimits().seconds

    func validate() throws {
        guard Profile.all.contains(profile) || (profile.contains("/") && access(profile, R_OK) == 0) else {
            throw ValidationError(
                "--profile \(profile): use one of \(Profile.all.joined(separator: ", ")) or a readable helper script")
        }
        for map in maps where map.split(separator: "=").count != 2 {
            throw ValidationError("--map \(map): write XEN=KVM, e.g. xvdc=vdb")
        }
        for helper in helpers where access(helper, X_OK) != 0 {
            throw ValidationError("--helper \(helper) is not an executable file")
        }
        guard guestTimeout > 0 else { throw ValidationError("--guest-timeout wants a number of seconds above 0") }
    }

    func options(for disk: String, dryRun: Bool) -> FixOptions {
        var options = FixOptions(disk: disk)
        options.profile = profile
        options.editsOnly = editsOnly
        options.helpers = helpers
        options.dryRun = dryRun
        options.programs.trusted = trustGuest
        options.programs.limits.seconds = guestTimeout
        options.inspection = .contained
        for map in maps {
            let parts = map.split(separator: "=").map(String.init)
            options.deviceMap[parts[0].replacing("/dev/", with: "")] = parts[1].replacing("/dev/", with: "")
        }
        return options
    }
}

struct FixCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Make an already converted disk's guest boot under KVM: device names, grub, console, drivers.",
        discussion: """
            DISK is a converted (partitioned) disk: an image file or a block device; one in use \
            (mounted, a running VM's, being fixed by another xen2kvm) is refused. xen2kvm attaches \
            it to a loop device, adds its partitions, mounts partition 1 and edits the guest's files \
            through paths resolved inside the guest (a symlink never reaches a host file): \
            fstab/crypttab/resume xvd* → vd*, grub legacy and grub2 configs (root=, root (hd0), \
            console=hvc0/xvc0 → ttyS0, xencons=, net.ifnames=0 where the network configs name \
            eth0), inittab/securetty gettys, modprobe aliases, DEFAULTKERNEL, HWADDR and \
            persistent-net rules, virtio in future initrds, stale device caches, SELinux relabel. \
            Every edit is idempotent: a second fix changes nothing. Then the profile's guest helper \
            rebuilds the initrds with virtio and installs the bootloader, contained: as root of a \
            user namespace that is an unprivileged host id range, on an idmapped mount of the guest \
            entered with pivot_root, with no network, a seccomp filter and a time limit \
            (--trust-guest: as host root in a chroot). --helper programs are yours: they run on the \
            host as root.

            Examples:
              xen2kvm fix web01-kvm.img --dry-run
              xen2kvm fix /dev/vg1/kvm-web01 --map xvdc=vdb --edits-only
              xen2kvm fix web01-kvm.img --helper /usr/local/lvmsp/xen2kvm.c6x

            Exit status: 0 done; 1 failed; 2 refused (nothing written); 130 interrupted; 64 bad usage.
            """)

    @Argument(help: "The converted disk: an image file or a block device.")
    var disk: String

    @OptionGroup var fix: FixFlags

    @Flag(help: "Print a unified diff of every change and the programs that would run; write nothing.")
    var dryRun = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @OptionGroup var log: LogOptions

    func run() async throws { try await log.run { try await RunRecord.during(fixDisk) } }

    private func fixDisk() async throws {
        Cancellation.install()
        let report: FixReport
        do {
            report = try await GuestFixer.run(fix.options(for: disk, dryRun: dryRun))
        } catch {
            ErrorOutput.print(error.description)
            throw ExitCode(FixText.exitCode(error))
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(FixText.render(report), terminator: "")
        }
    }
}

/// The human-readable fix report.
enum FixText {
    static func render(_ report: FixReport) -> String {
        var out =
            report.dryRun
            ? "Guest fixes (dry run: nothing is written), profile \(report.profile)\n"
            : "Guest fixes, profile \(report.profile)\n"
        if let helper = report.helper { out += "  helper \(helper)\n" }
        if report.edits.isEmpty { out += "  no file needs a change\n" }
        for edit in report.edits {
            out += "  \(edit.edit): \(edit.file)\n"
            for line in edit.changes { out += "      \(line)\n" }
        }
        for run in report.programs {
            out +=
                "  ran  \(([run.program] + run.arguments).joined(separator: " ")): exit \(run.exitStatus), "
                + ByteCount.seconds(run.seconds) + "\n"
        }
        for skipped in report.notRun { out += "  not run: \(skipped.program) (\(skipped.reason))\n" }
        for warning in report.warnings { out += "  warning: \(warning)\n" }
        if report.dryRun {
            for edit in report.edits { out += "\n" + (edit.diff ?? "") }
        }
        return out
    }

    static func exitCode(_ error: GuestFixFailure) -> Int32 {
        switch error {
        case .refused: return 2
        case .session(.interrupted): return 130
        case .session(.inUse): return 2
        default: return 1
        }
    }
}
