import Foundation
import TestSupport
import Testing

/// The x2k transport between the namespace hosts: `xen2kvm send` on the Xen host (the same
/// binary: the Xen host shares this machine's filesystem), its stream written straight into
/// the target on the KVM host, checkpointed, resumed.
@Suite(
    .serialized,
    .requires(root: true, tools: TestHosts.tools + ["mke2fs", "e2fsck", "sha256sum", "debugfs", "time"]))
struct X2KTransportTests {
    typealias XenStorage = RemoteConvertTests.XenStorage

    static func convertOnKVM(_ hosts: TestHosts, _ arguments: [String]) async throws -> CommandResult {
        try await RemoteConvertTests.convertOnKVM(hosts, arguments + ["--remote-xen2kvm", Xen2KVMBinary.path])
    }

    /// The local convert of the Xen host's image, for comparison.
    static func localConvert(_ xen: XenStorage, into path: String) async throws {
        let local = try await Xen2KVMBinary.run(["convert", "\(xen.storage)/web01.img", path, "--no-fix"])
        #expect(local.succeeded, "\(local.stderr)")
    }

    /// Bytes 510–511 are 55 AA once a partition table is written.
    static func hasPartitionTable(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let sector = try handle.read(upToCount: 512) ?? Data()
        return sector.count == 512 && sector[510] == 0x55 && sector[511] == 0xAA
    }

    /// The data bytes a convert's JSON result says it copied.
    static func bytesCopied(_ stdout: String) throws -> UInt64 {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        let result = object?["result"] as? [String: Any]
        return (result?["bytesCopied"] as? NSNumber)?.uint64Value ?? 0
    }

    @Test(arguments: ["x2k", "auto", "zstd"])
    func x2kGivesTheLocalConvertsDisk(_ how: String) async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let local = work.file("local.img")
        let remote = work.file("remote.img")
        let before = try await sha256("\(xen.storage)/web01.img")
        try await Self.localConvert(xen, into: local)
        try await TestHosts.with(xenBinds: [xen.bind]) { hosts in
            var arguments = [hosts.url(path: xen.guestOnXen), remote, "--no-fix"]
            arguments += how == "auto" ? [] : ["--transport", "x2k"]
            if how == "zstd" { arguments += ["--compress", "zstd"] }
            // The receiver's peak memory (its largest resident set), under /usr/bin/time.
            let result = try await hosts.run(
                on: .kvm,
                ["/usr/bin/time", "-f", "peak-kib %M", Xen2KVMBinary.path, "convert"] + arguments + [
                    "--remote-xen2kvm", Xen2KVMBinary.path, "--ssh-config", hosts.sshConfig,
                ])
            print("x2k (\(how)):\n\(result.stderr)\(result.stdout)")
            let peak = result.stderr.split(separator: "\n").last { $0.hasPrefix("peak-kib ") }
            #expect(peak.flatMap { UInt64($0.dropFirst(9)) }.map { $0 < 64 << 10 } == true, "\(peak ?? "")")
            #expect(result.succeeded, "\(result.stderr)\(result.stdout)")
            if how == "auto" {
                #expect(result.stderr.contains("transport x2k: a clean ext filesystem and xen2kvm on 192.0.2.1"))
            }
            #expect(result.stderr.contains("received ssh://root@192.0.2.1\(xen.guestOnXen) by x2k: "))
            #expect(
                try RemoteConvertTests.withoutDiskSignature(remote) == RemoteConvertTests.withoutDiskSignature(local))
            // Nothing left beside the target: no state, no staging file.
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: work.path).sorted() == ["local.img", "remote.img"])
        }
        #expect(try await sha256("\(xen.storage)/web01.img") == before)
    }

    /// A forced command for the Xen host's sshd: `xen2kvm send` goes through `filter` (a shell
    /// pipeline stage) until the file `passthrough` exists; its pid is written to `pid`;
    /// everything else runs as asked.
    static func forcedCommand(_ xen: XenStorage, filter: String) throws -> String {
        let script = xen.dir.file("forced.sh")
        try """
        case "$SSH_ORIGINAL_COMMAND" in
          *" 'send' "*)
            echo $$ > \(xen.dir.file("pid"))
            if [ -e \(xen.dir.file("passthrough")) ]; then exec sh -c "$SSH_ORIGINAL_COMMAND"; fi
            sh -c "$SSH_ORIGINAL_COMMAND" | \(filter) ;;
          *) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;
        esac

        """.write(toFile: script, atomically: true, encoding: .utf8)
        return "ForceCommand /bin/sh \(script)"
    }

    /// A damaged byte and a stream cut short: a clear error, no partition table; the target and
    /// its state are kept, and the same command resumes once the link is whole, giving the local
    /// convert's disk.
    @Test(arguments: ["corrupt", "truncated"])
    func aDamagedStreamWritesNoTableAndResumes(_ mode: String) async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let local = work.file("local.img")
        let remote = work.file("remote.img")
        try await Self.localConvert(xen, into: local)
        // 30 MB in: past a few checkpoints, before the end.
        let filter =
            mode == "corrupt"
            ? "{ head -c 30000000; head -c 1 | tr '\\000-\\377' '\\377\\000-\\376'; cat; }"
            : "head -c 30000000"
        let forced = try Self.forcedCommand(xen, filter: filter)
        try await TestHosts.with(xenBinds: [xen.bind], xenSSHD: [forced]) { hosts in
            let arguments = [hosts.url(path: xen.guestOnXen), remote, "--no-fix", "--transport", "x2k"]
            let failed = try await Self.convertOnKVM(hosts, arguments)
            print("\(mode): exit \(failed.status): \(failed.stderr)")
            #expect(failed.status == 1)
            if mode == "corrupt" {
                #expect(failed.stderr.contains("the x2k stream is damaged: record"), "\(failed.stderr)")
                #expect(failed.stderr.contains("has a bad checksum"), "\(failed.stderr)")
            } else {
                #expect(
                    failed.stderr.contains("the x2k stream ended after 30000000 bytes, before its end record"),
                    "\(failed.stderr)")
            }
            #expect(failed.stderr.contains("the partition table was not written"))
            #expect(failed.stderr.contains("run the same command again to resume from filesystem byte"))
            #expect(try !Self.hasPartitionTable(remote))
            #expect(FileManager.default.fileExists(atPath: work.file(".remote.img.x2k-state")))

            try "".write(toFile: xen.dir.file("passthrough"), atomically: true, encoding: .utf8)
            let resumed = try await Self.convertOnKVM(hosts, arguments + ["--json"])
            #expect(resumed.succeeded, "\(resumed.stderr)")
            // (--json is quiet: the data bytes copied show it resumed.)
            #expect(try Self.bytesCopied(resumed.stdout) < 30_000_000)
            #expect(
                try RemoteConvertTests.withoutDiskSignature(remote) == RemoteConvertTests.withoutDiskSignature(local))
            #expect(!FileManager.default.fileExists(atPath: work.file(".remote.img.x2k-state")))
        }
    }

    /// kill -9 of the sender or of the receiver once half the data is checkpointed: the rerun
    /// resumes and moves at most 0.6 of the data again; the disk is the local convert's.
    @Test(arguments: ["sender", "receiver"])
    func aKilledSideResumes(_ side: String) async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let local = work.file("local.img")
        let remote = work.file("remote.img")
        try await Self.localConvert(xen, into: local)
        let forced = try Self.forcedCommand(xen, filter: "cat")
        try "".write(toFile: xen.dir.file("passthrough"), atomically: true, encoding: .utf8)
        // A pause after each checkpoint, so that "half way" lasts long enough to be seen.
        let slow = "SetEnv XEN2KVM_TEST_SEND_PAUSE_MS=300"
        try await TestHosts.with(xenBinds: [xen.bind], xenSSHD: [forced, slow]) { hosts in
            let arguments = [hosts.url(path: xen.guestOnXen), remote, "--no-fix", "--transport", "x2k"]
            let total = try await Self.killHalfWay(
                hosts, arguments, side: side, xen: xen, state: work.file(".remote.img.x2k-state"))
            #expect(try !Self.hasPartitionTable(remote))
            let resumed = try await Self.convertOnKVM(hosts, arguments + ["--json"])
            #expect(resumed.succeeded, "\(resumed.stderr)")
            // (--json is quiet: the data bytes copied show it resumed.)
            let again = try Self.bytesCopied(resumed.stdout)
            print("\(side) killed: \(again) of \(total) data bytes moved again")
            #expect(again > 0 && Double(again) <= 0.6 * Double(total))
            #expect(
                try RemoteConvertTests.withoutDiskSignature(remote) == RemoteConvertTests.withoutDiskSignature(local))
        }
    }

    /// A source changed after the kill: the rerun starts over, says why, and gives the local
    /// convert of the changed source.
    @Test func aChangedSourceStartsOver() async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let remote = work.file("remote.img")
        let forced = try Self.forcedCommand(xen, filter: "cat")
        try "".write(toFile: xen.dir.file("passthrough"), atomically: true, encoding: .utf8)
        let slow = "SetEnv XEN2KVM_TEST_SEND_PAUSE_MS=300"
        try await TestHosts.with(xenBinds: [xen.bind], xenSSHD: [forced, slow]) { hosts in
            let arguments = [hosts.url(path: xen.guestOnXen), remote, "--no-fix", "--transport", "x2k"]
            _ = try await Self.killHalfWay(
                hosts, arguments, side: "receiver", xen: xen, state: work.file(".remote.img.x2k-state"))
            // The guest's filesystem changes on the Xen host (a file added).
            try await Command.check(
                "debugfs", ["-w", "-R", "write /etc/hostname /added-later", "\(xen.storage)/web01.img"])
            let rerun = try await Self.convertOnKVM(hosts, arguments)
            #expect(rerun.succeeded, "\(rerun.stderr)")
            #expect(
                rerun.stderr.contains("starting over: the source changed since the interrupted transfer"),
                "\(rerun.stderr)")
            let local = work.file("local.img")
            try await Self.localConvert(xen, into: local)
            #expect(
                try RemoteConvertTests.withoutDiskSignature(remote) == RemoteConvertTests.withoutDiskSignature(local))
        }
    }

    /// Starts the convert on the KVM host, waits until its state has checkpointed half the
    /// data, kills the sender (its pid from the forced command) or the receiver with SIGKILL;
    /// returns the data bytes of the whole transfer.
    static func killHalfWay(
        _ hosts: TestHosts, _ arguments: [String], side: String, xen: XenStorage, state: String
    ) async throws -> UInt64 {
        let convert =
            [Xen2KVMBinary.path, "convert"] + arguments + [
                "--remote-xen2kvm", Xen2KVMBinary.path, "--ssh-config", hosts.sshConfig,
            ]
        let victim = side == "sender" ? "$(cat \(xen.dir.file("pid")))" : "$pid"
        let killed = try await X2KHalfWay.kill(hosts, convert, state: state, victim: victim)
        print("\(side) killed: exit \(killed.run.status): \(killed.run.stdout)\(killed.run.stderr)")
        #expect(killed.run.status != 0)
        #expect(
            killed.checkpointed * 2 >= killed.total && killed.total > 0, "\(killed.run.stdout)\(killed.run.stderr)")
        return killed.total
    }
}
