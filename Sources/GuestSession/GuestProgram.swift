import HostSystem
import Subprocess

/// What a guest program did.
public struct ProgramRun: Sendable, Codable {
    public var program: String
    public var arguments: [String]
    public var exitStatus: Int32
    public var seconds: Double
    /// The last lines it printed (stdout and stderr).
    public var output: String

    public init(program: String, arguments: [String], exitStatus: Int32, seconds: Double, output: String) {
        self.program = program
        self.arguments = arguments
        self.exitStatus = exitStatus
        self.seconds = seconds
        self.output = output
    }
}

extension GuestSession {
    /// Runs `program` inside the guest: chrooted into partition 1, in fresh mount, pid,
    /// network, ipc and uts namespaces (no network), with a clean environment. A non-zero
    /// exit throws with the program's last lines, unless `allowFailure`.
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
        // Inside the new namespaces (private copies of the mounts), before the chroot:
        //  1. mount partition 1 again on the guest root under the relative name "dev/vda1" from
        //     the session directory, so /proc/self/mountinfo says dev/vda1 — which grub-probe
        //     canonicalises to /dev/vda1 in the chroot (the host's /dev/loopNpM would leak or fail);
        //  2. bind the private /dev onto the guest's /dev (made if the guest lacks the mount
        //     points, as every real Linux guest has them), mount /proc (this pid namespace) and
        //     /sys (this network namespace); then chroot. Everything vanishes with the namespace.
        // First, this namespace lets go of the host's other mounts: its copies would keep every
        // filesystem mounted at the time (other sessions, other conversions, a user's mounts)
        // busy until the program ends. Kept: "/", where host tools live, /proc, /sys and /dev
        // (mount needs them), the session directory and the directories above it.
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
        let command =
            [
                "--mount", "--pid", "--fork", "--net", "--ipc", "--uts", "--kill-child", "/bin/sh", "-c", inside,
                directory, program,
            ] + arguments
        let status: Int32
        let output: String
        do {
            // SIGKILL to unshare takes the whole pid namespace with it (--kill-child), and so
            // does xen2kvm's death (unshare dies with it: HostChild).
            let result = try await StoppableCommand.run(
                "/usr/bin/unshare", command, environment: environment, inherit: false, stopSignal: .kill,
                keepingLines: 2000)
            status = result.status
            let printed = result.lines.joined(separator: "\n")
            output = printed.split(separator: "\n").suffix(20).joined(separator: "\n")
            Log.command(
                "(in the guest) \(program)", arguments, status: status,
                seconds: (ContinuousClock.now - started).inSeconds, output: printed)
        } catch {
            throw .setup("cannot start \(program) in the guest (unshare, util-linux): \(error)")
        }
        do {
            try Cancellation.check(program)
        } catch {
            throw GuestSessionError(error)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = elapsed.inSeconds
        let run = ProgramRun(
            program: program, arguments: arguments, exitStatus: status, seconds: seconds, output: output)
        if status != 0 && !allowFailure { throw .program(name: program, status: status, lastLines: output) }
        return run
    }
}
