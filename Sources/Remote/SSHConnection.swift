import Conversion
import HostSystem
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One ssh connection to a remote host, opened once (an ssh ControlMaster) and shared by every
/// command run there: the probe, then the transfer. ssh does the work (keys, host keys,
/// ciphers, the user's ~/.ssh/config); xen2kvm only starts it, with `BatchMode=yes` (no
/// password or host-key prompt: an unknown host key is a failure, not a question).
///
/// Every ssh process runs under `setpriv --pdeathsig KILL`, so none outlives xen2kvm.
public final class SSHConnection: Sendable {
    public let endpoint: SSHEndpoint
    let configFile: String?
    /// The master's socket; in the run's record directory when there is one, so the next run
    /// removes it with the record when this one was killed.
    let controlPath: String
    /// A directory of its own for the socket, when there is no record.
    let ownDirectory: String?
    private let master: Task<HostChild.Outcome, any Error>
    private let ended: EndFlag

    /// Set when the master ssh has exited.
    final class EndFlag: Sendable {
        let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
    }

    private init(
        endpoint: SSHEndpoint, configFile: String?, controlPath: String, ownDirectory: String?,
        master: Task<HostChild.Outcome, any Error>,
        ended: EndFlag
    ) {
        self.endpoint = endpoint
        self.configFile = configFile
        self.controlPath = controlPath
        self.ownDirectory = ownDirectory
        self.master = master
        self.ended = ended
    }

    private static let nextNumber = Atomic<Int>(0)

    static let ssh = "/usr/bin/ssh"
    static let setpriv = "/usr/bin/setpriv"

    /// The options every ssh invocation gets: the config file, no prompts, the port.
    func common() -> [String] {
        var arguments: [String] = []
        if let configFile { arguments += ["-F", configFile] }
        arguments += ["-o", "BatchMode=yes", "-o", "ControlPath=\(controlPath)"]
        if let port = endpoint.port { arguments += ["-p", String(port)] }
        return arguments
    }

    /// Connects (authenticates once) and keeps the connection for the commands that follow.
    public static func open(_ endpoint: SSHEndpoint, configFile: String?) async throws(ConversionError) -> SSHConnection
    {
        guard access(ssh, X_OK) == 0 else {
            throw .refused("a remote source needs ssh (Debian package openssh-client)")
        }
        let controlPath: String
        var ownDirectory: String?
        if let record = RunRecord.current {
            controlPath = "\(record.directory)/ssh-\(nextNumber.wrappingAdd(1, ordering: .relaxed).oldValue)"
        } else {
            var template = Array("/tmp/xen2kvm-ssh.XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw .failed("cannot make a directory for the ssh connection")
            }
            ownDirectory = String(cString: made)
            controlPath = "\(String(cString: made))/master"
        }
        let ended = EndFlag()
        var target: [String] = []
        if let configFile { target += ["-F", configFile] }
        if let port = endpoint.port { target += ["-p", String(port)] }
        target += ["--", endpoint.destination]
        // The cipher is chosen when the master connects: every channel after it shares it.
        let ciphers = SSHCiphers.option(effective: await SSHCiphers.effective(target), cpuHasAES: SSHCiphers.cpuHasAES)
        if !ciphers.isEmpty { Log.debug("ssh to \(endpoint): \(ciphers[1]) (AES-GCM first: the CPU has AES)") }
        let arguments =
            [
                "-o", "BatchMode=yes", "-o", "ControlMaster=yes", "-o", "ControlPath=\(controlPath)",
                "-o", "ControlPersist=no", "-o", "ConnectTimeout=20", "-o", "ServerAliveInterval=15",
                "-o", "ServerAliveCountMax=4", "-N",
            ] + ciphers + target
        let masterArguments = arguments
        let master = Task {
            defer { ended.set() }
            return try await HostChild.run(ssh, masterArguments, environment: [:], keepingLines: 20)
        }
        let connection = SSHConnection(
            endpoint: endpoint, configFile: configFile, controlPath: controlPath, ownDirectory: ownDirectory,
            master: master, ended: ended)
        // Ready when the master answers on its socket; failed when it ends first.
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if Cancellation.signal != nil {
                await connection.close()
                throw .interrupted("stopped while connecting to \(endpoint)")
            }
            if ended.isSet {
                let outcome = try? await master.value
                connection.removeDirectory()
                let said = outcome?.lines.joined(separator: "; ") ?? ""
                throw .failed("cannot connect to \(endpoint) with ssh\(said.isEmpty ? "" : ": \(said)")")
            }
            if access(connection.controlPath, F_OK) == 0,
                let check = try? await connection.control("check"), check == 0
            {
                TraceTiming.mark("ssh master connected to \(endpoint)")
                return connection
            }
            if ContinuousClock.now > deadline {
                await connection.close()
                throw .failed("cannot connect to \(endpoint) with ssh: no answer within 60 s")
            }
            // A key exchange on a LAN takes ~0.1 s: looking every 100 ms cost up to as much again.
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `ssh -O COMMAND`: asks the master (check, exit).
    private func control(_ command: String) async throws -> Int32 {
        let result = try await Subprocess.run(
            .path(.init(Self.setpriv)),
            arguments: Arguments(
                ["--pdeathsig", "KILL", "--", Self.ssh] + common() + ["-O", command, endpoint.destination]),
            output: .discarded, error: .discarded)
        if case .exited(let code) = result.terminationStatus { return code }
        return 255
    }

    /// Ends the connection (the master exits) and removes its socket's directory.
    public func close() async {
        if !ended.isSet { _ = try? await control("exit") }
        // A master that does not leave on `-O exit` within 5 s is cancelled (which ends it).
        let deadline = ContinuousClock.now + .seconds(5)
        while !ended.isSet && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !ended.isSet { master.cancel() }
        _ = try? await master.value
        removeDirectory()
    }

    private func removeDirectory() {
        unlink(controlPath)
        if let ownDirectory { rmdir(ownDirectory) }
    }

    /// What a remote command left: its exit status and its standard error.
    public struct Ended: Sendable {
        public var status: Int32
        public var stderr: String
        /// The error lines, for messages (ssh's and the remote command's).
        public var said: String {
            stderr.split(separator: "\n").suffix(6).joined(separator: "; ")
        }
    }

    /// Runs `command` (a remote shell command line) over the connection and collects its
    /// standard output (up to `limit` bytes).
    public func run(_ command: String, limit: Int = 1 << 20) async throws(ConversionError) -> (Ended, [UInt8]) {
        var collected: [UInt8] = []
        let ended = try await stream(command) { bytes in
            collected += bytes
            if collected.count > limit { throw ConversionError.failed("\(endpoint) answered more than \(limit) bytes") }
        }
        return (ended, collected)
    }

    /// Runs `command` over the connection, handing its standard output to `receive` as it
    /// comes. When `receive` throws, the remote side is stopped (ssh is sent SIGTERM) and the
    /// error is thrown on.
    public func stream(_ command: String, receive: (UnsafeRawBufferPointer) throws -> Void)
        async throws(ConversionError)
        -> Ended
    {
        let arguments =
            ["--pdeathsig", "KILL", "--", Self.ssh] + common() + ["-T", "--", endpoint.destination, command]
        do {
            let result = try await Subprocess.run(
                .path(.init(Self.setpriv)), arguments: Arguments(arguments), input: .none, output: .sequence,
                error: .string(limit: 1 << 20)
            ) { execution -> ConversionError? in
                // SIGINT/SIGTERM stop the remote command even while no byte comes (a stalled link).
                let watcher = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(100))
                        if Cancellation.signal != nil {
                            try? execution.send(signal: .terminate)
                            return
                        }
                    }
                }
                defer { watcher.cancel() }
                do {
                    for try await buffer in execution.standardOutput {
                        try buffer.withUnsafeBytes { try receive($0) }
                    }
                    return nil
                } catch {
                    try? execution.send(signal: .terminate)
                    return (error as? ConversionError) ?? .failed("reading from \(endpoint): \(error)")
                }
            }
            if let problem = result.closureResult { throw problem }
            if Cancellation.signal != nil {
                throw ConversionError.interrupted("stopped while reading from \(endpoint)")
            }
            let status: Int32
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            return Ended(status: status, stderr: result.standardError)
        } catch let error as ConversionError {
            throw error
        } catch {
            throw .failed("cannot run ssh to \(endpoint): \(error)")
        }
    }
}
