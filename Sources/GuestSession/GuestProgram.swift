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
        var environment: [Environment.Key: String] = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C",
            "LC_ALL": "C", "TERM": "dumb",
        ]
        for (key, value) in extra { environment[Environment.Key(stringLiteral: key)] = value }
        let started = ContinuousClock.now
        // Inside the new namespaces: /proc for the new pid namespace, /sys for the new network
        // namespace, then the chroot. The mounts vanish with the namespace.
        let inside = "mount -t sysfs -o nosuid,nodev,noexec sysfs \"$0/sys\" && exec chroot \"$0\" \"$@\""
        let command =
            [
                "--mount", "--pid", "--fork", "--net", "--ipc", "--uts", "--kill-child", "--mount-proc=\(root)/proc",
                "/bin/sh", "-c", inside, root, program,
            ] + arguments
        let status: Int32
        let output: String
        do {
            let result = try await Subprocess.run(
                .path("/usr/bin/unshare"), arguments: Arguments(command), environment: .custom(environment),
                output: .string(limit: 4 << 20), error: .string(limit: 4 << 20))
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            output = (result.standardOutput + result.standardError).split(separator: "\n").suffix(20)
                .joined(separator: "\n")
        } catch {
            throw .setup("cannot start \(program) in the guest (unshare, util-linux): \(error)")
        }
        do {
            try Cancellation.check(program)
        } catch {
            throw GuestSessionError(error)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let run = ProgramRun(
            program: program, arguments: arguments, exitStatus: status, seconds: seconds, output: output)
        if status != 0 && !allowFailure { throw .program(name: program, status: status, lastLines: output) }
        return run
    }
}
