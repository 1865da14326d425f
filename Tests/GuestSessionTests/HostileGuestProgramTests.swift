import Conversion
import Foundation
import GuestSession
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A guest whose own program is hostile (Fixtures/programs/hostile.c, built static at test
/// time) tries each way out of the sandbox in turn. Each try fails inside, the run reports the
/// step's failure or finishes, and the host is unchanged: a sample of its files and settings,
/// a "host disk" of the test's own (a loop device with a secret on it), a TCP port it listens
/// on, the marker path an escape would write.
@Suite struct HostileGuestProgramTests {
    enum Attempt: String, CaseIterable, Sendable {
        case chrootEscape = "chroot-escape", mknodDisk = "mknod-disk", mount, procsys, module, ptrace, socket
        case forkBomb = "fork-bomb", fill, hang

        /// Attempts that never end by themselves: the step's time limit stops them.
        var endsByTimeout: Bool { self == .forkBomb || self == .hang }
    }

    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "cc"]), arguments: Attempt.allCases)
    func eachAttemptFailsInsideAndTheHostIsUnchanged(_ attempt: Attempt) async throws {
        let dir = try TemporaryDirectory(prefix: "xen2kvm-hostile")
        let hostDisk = dir.file("host-disk.img")
        try Data(repeating: 0x42, count: 1 << 20).write(to: URL(fileURLWithPath: hostDisk))
        try await withLoopDevice(hostDisk) { loop in
            let node = try Self.deviceNumber(loop)
            let disk = try await Self.hostileDisk(dir, hostDisk: node)
            let marker = dir.file("escaped")
            let listener = try LoopbackListener()
            let before = HostSample.take()
            let session = try await GuestSession.open(disk, readOnly: false)
            defer { session.close() }
            // Short for the attempts that never end; the others end at once, but a loaded CI
            // machine may take seconds to build a sandbox.
            session.programs.limits.seconds = attempt.endsByTimeout ? 4 : 120
            session.programs.limits.processes = 64
            let arguments: [String]
            switch attempt {
            case .chrootEscape: arguments = [marker]
            case .mknodDisk: arguments = [String(node.major), String(node.minor)]
            case .ptrace: arguments = [String(getpid())]
            case .socket: arguments = [String(listener.port)]
            default: arguments = []
            }
            let output: String
            if attempt.endsByTimeout {
                let started = ContinuousClock.now
                switch await Self.failure(of: session, "/hostile", [attempt.rawValue] + arguments) {
                case .timedOut(let program, let seconds, let lines):
                    #expect(program == "/hostile" && seconds == 4)
                    output = lines
                case let other:
                    Issue.record("\(attempt.rawValue) was not stopped by its time limit: \(String(describing: other))")
                    output = ""
                }
                // Generous: a loaded CI machine is slow to start and to stop a sandbox; a program
                // that is never stopped hangs here far longer.
                #expect(ContinuousClock.now - started < .seconds(180), "the stop took too long")
                let survivors = Self.processes(running: ["/hostile", attempt.rawValue])
                #expect(survivors.isEmpty, "outlived its step: \(survivors)")
            } else {
                let run = try await session.run("/hostile", [attempt.rawValue] + arguments, allowFailure: true)
                #expect(run.contained == true)
                output = run.output
                #expect(run.exitStatus == 0, "exit \(run.exitStatus):\n\(output)")
                #expect(output.contains("BLOCKED"), "\(output)")
            }
            #expect(!output.contains("ESCAPED"), "\(output)")
            #expect(!FileManager.default.fileExists(atPath: marker), "a guest program wrote a host file")
            #expect(!listener.wasConnected(), "a guest program reached a host port")
            #expect(HostSample.take() == before, "the host changed")
        }
    }

    /// A guest program that prints the sandbox's own setup failure and exits as it does is a
    /// failed program, not a host that cannot contain guests (which would suggest --trust-guest).
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "cc"])) func aForgedContainmentFailureIsTheProgramFailing()
        async throws
    {
        let dir = try TemporaryDirectory(prefix: "xen2kvm-hostile")
        let disk = try await Self.hostileDisk(dir, hostDisk: nil)
        let session = try await GuestSession.open(disk, readOnly: false)
        defer { session.close() }
        switch await Self.failure(of: session, "/hostile", ["forge"], allowFailure: false) {
        case .program(let name, let status, _): #expect(name == "/hostile" && status == 125)
        case let other: Issue.record("not the program's failure: \(String(describing: other))")
        }
    }

    /// The same for a `--profile` helper, through the CLI: contained, says so in the report.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "cc", "busybox"]))
    func aProfileHelperIsContainedToo() async throws {
        let dir = try TemporaryDirectory(prefix: "xen2kvm-hostile")
        let disk = try await Self.hostileDisk(dir, hostDisk: nil, shell: true)
        let marker = dir.file("escaped")
        let helper = dir.file("hostile-helper")
        try "/hostile chroot-escape \(marker)\n/hostile mount\n"
            .write(toFile: helper, atomically: true, encoding: .utf8)
        let before = HostSample.take()
        let run = try await Xen2KVMBinary.run(["fix", "--json", "--profile", helper, disk])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\"containment\" : \"contained: user namespace"), "\(run.stdout)")
        #expect(run.stdout.contains("BLOCKED mounting proc"), "\(run.stdout)")
        #expect(!run.stdout.contains("ESCAPED"), "\(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(HostSample.take() == before, "the host changed")
    }

    /// A converted disk whose guest holds the hostile program, a /hostdisk node of the test's
    /// host disk (the guest's own device node: nodev must make it useless), and with `shell`
    /// a busybox /bin/sh for helper scripts.
    static func hostileDisk(_ dir: TemporaryDirectory, hostDisk: (major: UInt32, minor: UInt32)?, shell: Bool = false)
        async throws -> String
    {
        let tree = dir.file("tree")
        for sub in ["bin", "tmp", "dev", "proc", "sys", "etc"] {
            try FileManager.default.createDirectory(atPath: "\(tree)/\(sub)", withIntermediateDirectories: true)
        }
        try await Command.check(
            "cc", ["-static", "-O1", "-o", "\(tree)/hostile", "\(Fixtures.packageRoot)/Fixtures/programs/hostile.c"])
        if shell { try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: "\(tree)/bin/sh") }
        if let hostDisk {
            try await Command.check("mknod", ["\(tree)/hostdisk", "b", String(hostDisk.major), String(hostDisk.minor)])
        }
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: source, size: "64M")
        let disk = dir.file("kvm.img")
        let options = ConvertOptions(source: source, target: disk)
        _ = try await Converter.run(try Planner.plan(options), progress: SilentProgress())
        return disk
    }

    /// How a run failed (nil: it did not).
    static func failure(
        of session: GuestSession, _ program: String, _ arguments: [String], allowFailure: Bool = true
    ) async -> GuestSessionError? {
        do {
            _ = try await session.run(program, arguments, allowFailure: allowFailure)
            return nil
        } catch {
            return error
        }
    }

    static func deviceNumber(_ device: String) throws -> (major: UInt32, minor: UInt32) {
        var info = stat()
        guard stat(device, &info) == 0 else { throw POSIXError(.ENOENT) }
        let rdev = UInt64(info.st_rdev)
        let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff)
        let minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff)
        return (UInt32(major), UInt32(minor))
    }

    /// Host processes whose command line starts with `command` (other cases run meanwhile).
    static func processes(running command: [String]) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                return nil
            }
            let words = data.split(separator: 0).prefix(command.count).map { String(decoding: $0, as: UTF8.self) }
            return words == command ? pid : nil
        }
    }
}

/// What a guest program must never change on the host: a sample of files, settings and names.
struct HostSample: Equatable {
    var values: [String: String]

    static let files = [
        "/etc/passwd", "/etc/shadow", "/etc/hostname", "/etc/hosts", "/proc/sys/vm/swappiness",
        "/proc/sys/kernel/core_pattern", "/sys/kernel/uevent_helper", "/proc/sys/kernel/hostname",
    ]

    static func take() -> HostSample {
        var values: [String: String] = [:]
        for file in files {
            values[file] = FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self) }
        }
        // Not the module list: other tests and programs on the host load modules (a bridge, a
        // veth pair) meanwhile. The module attempt is judged by its EPERM inside.
        return HostSample(values: values)
    }
}

/// A TCP port on the host's 127.0.0.1 that nothing should connect to.
final class LoopbackListener {
    let socket: Int32
    let port: UInt16

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRNOTAVAIL) }
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    func wasConnected() -> Bool { accept(socket, nil, nil) >= 0 }

    deinit { close(socket) }
}
