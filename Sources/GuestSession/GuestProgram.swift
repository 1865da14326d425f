import HostSystem
import Subprocess

#if canImport(Glibc)
    import Glibc
#endif

/// What a guest program did.
public struct ProgramRun: Sendable, Codable {
    public var program: String
    public var arguments: [String]
    public var exitStatus: Int32
    public var seconds: Double
    /// The last lines it printed (stdout and stderr).
    public var output: String
    /// Whether it ran contained (a guest program by default), or as host root (--trust-guest, a
    /// --helper); nil where not said.
    public var contained: Bool?

    public init(program: String, arguments: [String], exitStatus: Int32, seconds: Double, output: String) {
        self.program = program
        self.arguments = arguments
        self.exitStatus = exitStatus
        self.seconds = seconds
        self.output = output
    }
}

extension GuestSession {
    /// Runs `program` inside the guest, as `programs` says: contained by xen2kvm-sandbox
    /// (the default), or, trusted, chrooted as host root. Either way in fresh mount, pid,
    /// network (none), ipc and uts namespaces, with a clean environment, and stopped with its
    /// whole namespace after `programs.limits.seconds`. A non-zero exit throws with the
    /// program's last lines, unless `allowFailure`.
    public func run(
        _ program: String, _ arguments: [String] = [], environment extra: [String: String] = [:],
        allowFailure: Bool = false
    ) async throws(GuestSessionError) -> ProgramRun {
        try prepareForPrograms()
        var environment: [String: String] = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C",
            "LC_ALL": "C", "TERM": "dumb",
        ]
        for (key, value) in extra { environment[key] = value }
        let started = ContinuousClock.now
        let launcher: (path: String, arguments: [String])
        if programs.trusted {
            launcher = ("/usr/bin/unshare", trustedCommand(program, arguments))
        } else {
            launcher = try containedCommand(program, arguments)
            unlink(sandboxReport)
        }
        let status: Int32
        let output: String
        let result: HostChild.Outcome
        do {
            // Stopped, xen2kvm-sandbox kills the pid namespace's init and returns once the
            // kernel has killed everything in it; `unshare --kill-child` dies on SIGKILL and takes
            // the namespace with it. xen2kvm's death takes either along (HostChild).
            result = try await StoppableCommand.run(
                launcher.path, launcher.arguments, environment: environment, inherit: false,
                stopSignal: programs.trusted ? .kill : .terminate,
                timeout: .seconds(programs.limits.seconds), keepingLines: 2000)
        } catch {
            throw .setup("cannot start \(program) in the guest (\(launcher.path)): \(error)")
        }
        status = result.status
        let printed = result.lines.joined(separator: "\n")
        output = printed.split(separator: "\n").suffix(20).joined(separator: "\n")
        Log.command(
            "(in the guest) \(program)", arguments, status: status,
            seconds: (ContinuousClock.now - started).inSeconds, output: printed)
        do {
            try Cancellation.check(program)
        } catch {
            throw GuestSessionError(error)
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        if result.timedOut {
            throw .timedOut(program: program, seconds: programs.limits.seconds, lastLines: output)
        }
        if !programs.trusted { try checkSandboxReport(program, output: output) }
        var run = ProgramRun(
            program: program, arguments: arguments, exitStatus: status, seconds: seconds, output: output)
        run.contained = !programs.trusted
        if status != 0 && !allowFailure { throw .program(name: program, status: status, lastLines: output) }
        return run
    }

    /// Where xen2kvm-sandbox says whether it started the program: a host file of the session
    /// that the guest cannot reach, so the guest's own output cannot forge a setup failure.
    var sandboxReport: String { "\(directory)/sandbox-report" }

    func containedCommand(_ program: String, _ arguments: [String]) throws(GuestSessionError) -> (
        path: String, arguments: [String]
    ) {
        guard let path = SandboxLauncher.path else {
            throw .containment(
                "\(SandboxLauncher.name) is not installed beside xen2kvm (`make install` puts it in PREFIX/lib/xen2kvm)"
            )
        }
        let limits = programs.limits
        return (
            path,
            [
                "--session", directory, "--source", "dev/vda1", "--fstype", rootType,
                "--ids", "\(GuestIDs.base):\(GuestIDs.count)", "--report", sandboxReport,
                "--processes", String(limits.processes), "--memory", String(limits.memoryBytes),
                "--file-size", String(limits.fileBytes), "--", program,
            ] + arguments
        )
    }

    func checkSandboxReport(_ program: String, output: String) throws(GuestSessionError) {
        let report = HostFiles.read(sandboxReport) ?? ""
        guard !report.hasPrefix("started") else { return }
        let reason = report.hasPrefix("failed: ") ? String(report.dropFirst(8)) : "it stopped before \(program) started"
        throw .containment(reason.hasSuffix("\n") ? String(reason.dropLast()) : reason)
    }

    /// Trusted: a shell in fresh namespaces mounts partition 1 again under the relative name
    /// "dev/vda1" from the session directory (so /proc/self/mountinfo says dev/vda1, which
    /// grub-probe canonicalises to /dev/vda1 in the chroot), binds the private /dev, mounts
    /// /proc and /sys, and chroots. First it lets go of the host's other mounts: its copies
    /// would keep every filesystem mounted at the time busy until the program ends. Kept: "/",
    /// where host tools live, /proc, /sys and /dev (mount needs them), the session directory
    /// and the directories above it.
    func trustedCommand(_ program: String, _ arguments: [String]) -> [String] {
        let inside = """
            cd "$0" || exit 70
            others=$(awk '{ print $5 }' /proc/self/mountinfo | sort -r)
            set -f
            for point in $others; do
                case "$point" in / | /usr | /usr/* | /bin | /sbin | /lib | /lib64 | /etc | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | "$0" | "$0"/*) continue ;; esac
                case "$0/" in "$point"/*) continue ;; esac
                umount -l "$point" 2>&- || true
            done
            set +f
            umount -l root && mount --no-canonicalize dev/vda1 root || exit 71
            mkdir -p root/dev root/proc root/sys
            mount --rbind dev root/dev || exit 72
            mount -t proc -o nosuid,nodev,noexec proc root/proc || exit 73
            mount -t sysfs -o nosuid,nodev,noexec sysfs root/sys || exit 74
            exec chroot root "$@"
            """
        return [
            "--mount", "--pid", "--fork", "--net", "--ipc", "--uts", "--kill-child", "/bin/sh", "-c", inside,
            directory, program,
        ] + arguments
    }
}
