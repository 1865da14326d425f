import Foundation
import Synchronization

/// Two "hosts" on this machine for the fleet tests: network namespaces joined by a veth pair
/// (the Xen host 192.0.2.1, the KVM host 192.0.2.2, TEST-NET-1: nothing routes there), each
/// running its own `sshd -D -f CONFIG` (Debian openssh-server) with its own host key, and a
/// client key made for the test that both accept for root. Nothing leaves the namespaces:
/// they have no other interface and no route.
///
/// The Xen host's sshd runs in a mount namespace of its own where `xenBinds` are bind-mounted
/// (a directory only that host sees: its storage, its /etc/xen), so what the KVM host reads
/// from there it can only have read over ssh. `xenLayers` add files to a directory that
/// exists on this machine, for the Xen host only (its /etc/xen, a stand-in `xl` in /usr/sbin):
/// a read-only overlay of the layer over the directory, nothing written to either.
///
/// Every process is started and stopped by its pid: the sshds, then whatever still runs in the
/// namespaces (`ip netns pids`), then the namespaces are deleted; on every path (`with`), and
/// from `deinit` as a last resort.
///
/// Needs root and the tools in `TestHosts.tools`.
public final class TestHosts: @unchecked Sendable {
    public enum Host: String, Sendable, CaseIterable {
        case xen, kvm
    }

    /// A directory bind-mounted in the Xen host's mount namespace.
    public struct Bind: Sendable {
        public var source: String
        public var target: String
        public init(source: String, target: String) {
            self.source = source
            self.target = target
        }
    }

    /// A directory whose files the Xen host sees in `over` as well as what `over` holds (a
    /// read-only overlay in its mount namespace).
    public struct Layer: Sendable {
        public var directory: String
        public var over: String
        public init(_ directory: String, over: String) {
            self.directory = directory
            self.over = over
        }
    }

    public static let tools = ["ip", "sshd", "ssh", "ssh-keygen", "nsenter", "unshare", "mount"]

    public let directory: TemporaryDirectory
    private let prefix: String
    private let lock = NSLock()
    private var sshds: [Host: Spawned] = [:]
    private var namespaces: [String] = []
    private var stopped = false

    private static let counter = Atomic<Int>(0)

    private init(directory: TemporaryDirectory) {
        self.directory = directory
        prefix = "x2k-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).oldValue)"
    }

    public func namespace(_ host: Host) -> String { "\(prefix)-\(host.rawValue)" }

    public func address(_ host: Host) -> String { host == .xen ? "192.0.2.1" : "192.0.2.2" }

    /// The ssh client configuration (`ssh -F`, `xen2kvm … --ssh-config`): the test's key, the
    /// hosts' keys as the only known ones, strict checking.
    public var sshConfig: String { directory.file("ssh_config") }

    /// `ssh://root@ADDRESS/PATH` for a path on `host`.
    public func url(_ host: Host = .xen, path: String) -> String { "ssh://root@\(address(host))\(path)" }

    /// The pid of the sshd of `host` (its network and mount namespaces are the host's).
    public func sshdPid(_ host: Host) -> Int32? { lock.withLock { sshds[host]?.pid } }

    /// Starts both hosts, runs `body`, stops them whatever happens.
    public static func with<T>(
        xenBinds: [Bind] = [], xenLayers: [Layer] = [], xenSSHD extra: [String] = [], xenKeyOptions: String = "",
        _ body: (TestHosts) async throws -> T
    ) async throws -> T {
        let hosts = try await start(
            xenBinds: xenBinds, xenLayers: xenLayers, xenSSHD: extra, xenKeyOptions: xenKeyOptions)
        do {
            let value = try await body(hosts)
            hosts.stop()
            return value
        } catch {
            hosts.stop()
            throw error
        }
    }

    /// Starts both hosts; `stop()` ends them. `xenSSHD` lines are added to the Xen host's
    /// sshd_config (a ForceCommand, a SetEnv; before the defaults, so a LogLevel overrides); `xenKeyOptions` go before the test's key in the
    /// Xen host's authorized_keys (`restrict,command="…"`).
    public static func start(
        xenBinds: [Bind] = [], xenLayers: [Layer] = [], xenSSHD extra: [String] = [], xenKeyOptions: String = ""
    ) async throws -> TestHosts {
        let hosts = TestHosts(directory: try TemporaryDirectory(prefix: "xen2kvm-hosts"))
        do {
            try await hosts.setUp(xenBinds: xenBinds, xenLayers: xenLayers, xenSSHD: extra, keyOptions: xenKeyOptions)
        } catch {
            hosts.stop()
            throw error
        }
        return hosts
    }

    private func setUp(xenBinds: [Bind], xenLayers: [Layer], xenSSHD extra: [String], keyOptions: String) async throws {
        let dir = directory.path
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try await Command.check(
            "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "xen2kvm-test", "-f", "\(dir)/client_key"])
        let clientKey = try String(contentsOfFile: "\(dir)/client_key.pub", encoding: .utf8)
        var knownHosts = ""
        for host in Host.allCases {
            try await Command.check("ip", ["netns", "add", namespace(host)])
            lock.withLock { namespaces.append(namespace(host)) }
        }
        try await Command.check(
            "ip",
            [
                "link", "add", "xen0", "netns", namespace(.xen), "type", "veth", "peer", "name", "kvm0", "netns",
                namespace(.kvm),
            ])
        for host in Host.allCases {
            let ns = namespace(host)
            let device = host == .xen ? "xen0" : "kvm0"
            try await Command.check("ip", ["-n", ns, "link", "set", "lo", "up"])
            try await Command.check("ip", ["-n", ns, "addr", "add", "\(address(host))/24", "dev", device])
            try await Command.check("ip", ["-n", ns, "link", "set", device, "up"])

            let hostDir = "\(dir)/\(host.rawValue)"
            try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
            try await Command.check(
                "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", host.rawValue, "-f", "\(hostDir)/host_key"])
            let key = host == .xen && !keyOptions.isEmpty ? "\(keyOptions) \(clientKey)" : clientKey
            try key.write(toFile: "\(hostDir)/authorized_keys", atomically: true, encoding: .utf8)
            let hostKey = try String(contentsOfFile: "\(hostDir)/host_key.pub", encoding: .utf8)
            knownHosts += "\(address(host)) \(hostKey.split(separator: " ").prefix(2).joined(separator: " "))\n"
            // The test's lines first: sshd keeps a keyword's first value, so they override these.
            let config =
                (host == .xen ? extra : []) + [
                    "Port 22", "ListenAddress \(address(host))", "HostKey \(hostDir)/host_key", "PidFile none",
                    "AuthorizedKeysFile \(hostDir)/authorized_keys", "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
                    "MaxStartups 50", "MaxSessions 50", "LogLevel VERBOSE",
                ]
            try (config.joined(separator: "\n") + "\n").write(
                toFile: "\(hostDir)/sshd_config", atomically: true, encoding: .utf8)
            try await startSSHD(host, binds: host == .xen ? xenBinds : [], layers: host == .xen ? xenLayers : [])
        }
        try knownHosts.write(toFile: "\(dir)/known_hosts", atomically: true, encoding: .utf8)
        let client = """
            Host \(address(.xen)) \(address(.kvm))
              User root
              IdentityFile \(dir)/client_key
              IdentitiesOnly yes
              UserKnownHostsFile \(dir)/known_hosts
              GlobalKnownHostsFile /dev/null
              StrictHostKeyChecking yes
              LogLevel ERROR

            """
        try client.write(toFile: sshConfig, atomically: true, encoding: .utf8)
        // Ready when the KVM host logs in to both (a forced command may refuse `true`: any
        // exit status but ssh's own 255 is an answer).
        for host in Host.allCases {
            var last: CommandResult?
            for _ in 0..<100 {
                let result = try await run(
                    on: .kvm, ["ssh", "-F", sshConfig, "-o", "BatchMode=yes", "root@\(address(host))", "true"])
                if result.status != 255 {
                    last = nil
                    break
                }
                last = result
                guard lock.withLock({ sshds[host]?.isRunning ?? false }) else { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            if let last {
                let log = (try? String(contentsOfFile: "\(dir)/\(host.rawValue)/sshd.log", encoding: .utf8)) ?? ""
                throw TestHostsError(description: "the \(host) host's sshd does not answer: \(last.stderr)\(log)")
            }
        }
    }

    private func startSSHD(_ host: Host, binds: [Bind], layers: [Layer]) async throws {
        let hostDir = directory.file(host.rawValue)
        let sshd = ["/usr/sbin/sshd", "-D", "-f", "\(hostDir)/sshd_config", "-E", "\(hostDir)/sshd.log"]
        var arguments = ["netns", "exec", namespace(host)]
        // ip netns exec and unshare exec (no fork), and so does the shell: the pid is sshd's.
        // Either namespace is a copy of the host's mounts: the shell lets go of other tests'.
        let mounts =
            binds.map { "mount --bind '\($0.source)' '\($0.target)' && " }.joined()
            + layers.map { "mount -t overlay overlay -o 'lowerdir=\($0.directory):\($0.over)' '\($0.over)' && " }
            .joined()
        arguments += [
            "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            "\(releaseScratchMounts)\n\(mounts)exec \(sshd.map { "'\($0)'" }.joined(separator: " "))",
        ]
        let process = try Spawned.start("/usr/sbin/ip", arguments)
        lock.withLock { sshds[host] = process }
    }

    /// Runs `arguments` on `host`: in its sshd's network and mount namespaces (what a program
    /// started over ssh there sees).
    public func run(on host: Host, _ arguments: [String], environment: [String: String] = [:]) async throws
        -> CommandResult
    {
        guard let pid = sshdPid(host) else { throw TestHostsError(description: "the \(host) host is not running") }
        return try await Command.run(
            "nsenter", ["--target", String(pid), "--net", "--mount", "--"] + arguments, environment: environment)
    }

    /// Like `run(on:)`, failing unless the command succeeds.
    @discardableResult
    public func check(on host: Host, _ arguments: [String]) async throws -> CommandResult {
        let result = try await run(on: host, arguments)
        guard result.succeeded else {
            throw CommandError.failed(command: "\(host): \(arguments.joined(separator: " "))", result: result)
        }
        return result
    }

    /// Stops the sshds (SIGTERM, then SIGKILL), kills what still runs in the namespaces by
    /// pid, deletes the namespaces (the veth pair goes with them). Safe to call again.
    public func stop() {
        let (processes, names) = lock.withLock { () -> ([Spawned], [String]) in
            defer {
                sshds = [:]
                namespaces = []
                stopped = true
            }
            return (Array(sshds.values), namespaces)
        }
        for process in processes { process.stop() }
        for name in names {
            for pid in Self.output("/usr/sbin/ip", ["netns", "pids", name]).split(separator: "\n") {
                if let pid = Int32(pid) { kill(pid, SIGKILL) }
            }
            _ = Self.output("/usr/sbin/ip", ["netns", "del", name])
        }
    }

    deinit { stop() }

    /// A short synchronous command (for `stop`, which `deinit` calls).
    private static func output(_ program: String, _ arguments: [String]) -> String {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { return "" }
        defer { close(pipe[0]) }
        guard let process = try? Spawned.start(program, arguments, stdout: pipe[1]) else {
            close(pipe[1])
            return ""
        }
        close(pipe[1])
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        process.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A process started with posix_spawn and waited for by its pid (Foundation's Process does
/// not reap its children reliably next to swift-subprocess).
final class Spawned: Sendable {
    let pid: pid_t

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `program` with stdin and stderr on /dev/null, stdout on `stdout` (or /dev/null).
    static func start(_ program: String, _ arguments: [String], stdout: Int32? = nil) throws -> Spawned {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let stdout {
            posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard status == 0 else { throw TestHostsError(description: "cannot start \(program): \(status)") }
        return Spawned(pid: pid)
    }

    /// Whether it still runs (reaps it when it has ended).
    private func hasEnded() -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result < 0 && errno == ECHILD)
    }

    var isRunning: Bool { !hasEnded() }

    func wait() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// SIGTERM, then SIGKILL after 5 s; reaped either way.
    func stop() {
        if hasEnded() { return }
        kill(pid, SIGTERM)
        for _ in 0..<250 {
            if hasEnded() { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        wait()
    }
}

public struct TestHostsError: Error, CustomStringConvertible {
    public let description: String
}
