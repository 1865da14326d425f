import Foundation
import TestSupport
import Testing

/// `xen2kvm convert ssh://root@XEN/PATH TARGET` between two namespace hosts (TestHosts): the
/// guest image exists only in the Xen host's mount namespace, the KVM host pulls it over ssh.
@Suite(.serialized, .requires(root: true, tools: TestHosts.tools + ["mke2fs", "e2image", "e2fsck", "sha256sum"]))
struct RemoteConvertTests {
    /// The Xen host's storage (bound onto `view` in its mount namespace only) and the guest.
    struct XenStorage {
        let dir: TemporaryDirectory
        var storage: String { dir.file("storage") }
        /// Where the Xen host sees its storage; empty here.
        var view: String { dir.file("xen-view") }
        var guestOnXen: String { "\(view)/web01.img" }
        var bind: TestHosts.Bind { .init(source: storage, target: view) }

        /// The debian12-grub2 guest with 40 MiB of random data, in a 128 MiB ext4 image.
        static func make() async throws -> XenStorage {
            let storage = XenStorage(dir: try TemporaryDirectory(prefix: "xen2kvm-remote"))
            let fm = FileManager.default
            try fm.createDirectory(atPath: storage.storage, withIntermediateDirectories: true)
            try fm.createDirectory(atPath: storage.view, withIntermediateDirectories: true)
            let tree = storage.dir.file("tree")
            try await Command.check("cp", ["-a", Fixtures.tree("debian12-grub2"), tree])
            try fm.createDirectory(atPath: "\(tree)/srv/data", withIntermediateDirectories: true)
            for index in 0..<5 {
                try await Command.check(
                    "dd", ["if=/dev/urandom", "of=\(tree)/srv/data/blob\(index)", "bs=1M", "count=8", "status=none"])
            }
            try await Fixtures.makeImage(from: tree, at: "\(storage.storage)/web01.img", size: "128M")
            return storage
        }
    }

    static func convertOnKVM(_ hosts: TestHosts, _ arguments: [String]) async throws -> CommandResult {
        try await hosts.run(on: .kvm, [Xen2KVMBinary.path, "convert"] + arguments + ["--ssh-config", hosts.sshConfig])
    }

    /// A disk image's bytes with its MBR disk signature (bytes 440–443) zeroed.
    static func withoutDiskSignature(_ path: String) throws -> Data {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.replaceSubrange(440..<444, with: Data(count: 4))
        return data
    }

    @Test(arguments: ["auto", "e2image", "dd"])
    func eachTransportGivesTheLocalConvertsDisk(_ transport: String) async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let local = work.file("local.img")
        let remote = work.file("remote.img")
        let original = "\(xen.storage)/web01.img"
        let before = try await sha256(original)
        let localRun = try await Xen2KVMBinary.run(["convert", original, local, "--no-fix"])
        #expect(localRun.succeeded, "\(localRun.stderr)")

        try await TestHosts.with(xenBinds: [xen.bind]) { hosts in
            // Only the Xen host sees the guest: the KVM side can have it only over ssh.
            #expect(!FileManager.default.fileExists(atPath: xen.guestOnXen))
            let onXen = try await hosts.check(on: .xen, ["sha256sum", xen.guestOnXen]).stdout
            #expect(onXen.hasPrefix(before))

            let started = ContinuousClock.now
            let result = try await Self.convertOnKVM(
                hosts, [hosts.url(path: xen.guestOnXen), remote, "--no-fix", "--transport", transport])
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print("transport \(transport): \(seconds) s\n\(result.stderr)\(result.stdout)")
            #expect(result.succeeded, "\(result.stderr)\(result.stdout)")
            let expected = transport == "dd" ? "dd" : "e2image"
            #expect(result.stderr.contains("transport \(expected): "))
            if transport == "auto" {
                #expect(result.stderr.contains("a clean ext filesystem and e2image on 192.0.2.1"))
            }
            #expect(result.stderr.contains("received ssh://root@192.0.2.1\(xen.guestOnXen) by \(expected)"))
            #expect(result.stdout.contains("e2fsck"))

            // The KVM side's disk is the local convert's, byte for byte (but the MBR's disk
            // signature, random on every run).
            #expect(try Self.withoutDiskSignature(remote) == Self.withoutDiskSignature(local))
            // The source is unchanged, seen from the Xen host.
            let after = try await hosts.check(on: .xen, ["sha256sum", xen.guestOnXen]).stdout
            #expect(after.hasPrefix(before))
            // No staging file is left next to the target.
            let left = try FileManager.default.contentsOfDirectory(atPath: work.path)
            #expect(!left.contains { $0.hasPrefix(".xen2kvm-staging") }, "\(left)")
        }
        #expect(try await sha256(original) == before)
    }

    /// A stream cut short — the remote command exits 0 after part of the volume, or fails
    /// after it — is a clear error; no target is made, no partition table written.
    @Test(arguments: [("e2image", "short"), ("dd", "short"), ("e2image", "fail"), ("dd", "fail")])
    func aTruncatedStreamWritesNoTable(_ transport: String, _ mode: String) async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let remote = work.file("remote.img")
        let original = "\(xen.storage)/web01.img"
        let before = try await sha256(original)
        // A forced command that passes the probe through and cuts the transfer at 20 MB.
        let cut = xen.dir.file("cut.sh")
        let ending = mode == "short" ? "exit 0" : "echo 'remote side killed' >&2; exit 137"
        try """
        case "$SSH_ORIGINAL_COMMAND" in
          *"e2image -ra"*|*"bs=1M status=none"*) sh -c "$SSH_ORIGINAL_COMMAND" | head -c 20000000; \(ending) ;;
          *) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;
        esac

        """.write(toFile: cut, atomically: true, encoding: .utf8)
        try await TestHosts.with(xenBinds: [xen.bind], xenSSHD: ["ForceCommand /bin/sh \(cut)"]) { hosts in
            let result = try await Self.convertOnKVM(
                hosts, [hosts.url(path: xen.guestOnXen), remote, "--no-fix", "--transport", transport])
            print("\(transport) \(mode): exit \(result.status): \(result.stderr)")
            #expect(result.status == 1)
            if mode == "short" {
                #expect(result.stderr.contains("ended after 20000000 of 134217728 bytes"))
            } else {
                #expect(result.stderr.contains("\(transport) on 192.0.2.1 failed (exit 137) after 20000000 of"))
                #expect(result.stderr.contains("remote side killed"))
            }
            #expect(result.stderr.contains("nothing was written to the target"))
            #expect(!FileManager.default.fileExists(atPath: remote))
            let left = try FileManager.default.contentsOfDirectory(atPath: work.path)
            #expect(left.isEmpty, "\(left)")
        }
        #expect(try await sha256(original) == before)
    }

    /// Refusals before anything moves: no such disk, e2image asked for a disk that is not ext,
    /// an unknown host key.
    @Test func refusesBeforeTransferring() async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let swap = "\(xen.storage)/swap.img"
        try await Command.check("dd", ["if=/dev/zero", "of=\(swap)", "bs=1M", "count=16", "status=none"])
        try await Command.check("mkswap", [swap])
        try await TestHosts.with(xenBinds: [xen.bind]) { hosts in
            let missing = try await Self.convertOnKVM(
                hosts, [hosts.url(path: "\(xen.view)/nope.img"), work.file("a.img")])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("no such block device or file"), "\(missing.stderr)")
            let notExt = try await Self.convertOnKVM(
                hosts, [hosts.url(path: "\(xen.view)/swap.img"), work.file("b.img"), "--transport", "e2image"])
            #expect(notExt.status == 2)
            #expect(notExt.stderr.contains("not a bare ext filesystem"), "\(notExt.stderr)")
            // A dry run transfers, plans, and leaves nothing behind.
            let dry = try await Self.convertOnKVM(
                hosts, [hosts.url(path: xen.guestOnXen), work.file("d.img"), "--no-fix", "--dry-run"])
            #expect(dry.succeeded, "\(dry.stderr)")
            #expect(dry.stdout.contains("method   blocks"), "\(dry.stdout)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
            // A host key the client does not know: ssh refuses, and so does xen2kvm.
            try "".write(toFile: hosts.directory.file("known_hosts"), atomically: true, encoding: .utf8)
            let unknown = try await Self.convertOnKVM(hosts, [hosts.url(path: xen.guestOnXen), work.file("c.img")])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("cannot connect to root@192.0.2.1"), "\(unknown.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
        }
    }

    /// A target that holds data xen2kvm did not put there is refused without --force, as a
    /// local convert refuses it: the target unchanged, no staging file left; --force converts.
    @Test func refusesATargetHoldingDataUnlessForced() async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let target = work.file("someone-elses.img")
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", "-L", "keepme", target, "256M"])
        let before = try await sha256(target)
        try await TestHosts.with(xenBinds: [xen.bind]) { hosts in
            let refused = try await Self.convertOnKVM(hosts, [hosts.url(path: xen.guestOnXen), target, "--no-fix"])
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("add --force"), "\(refused.stderr)")
            #expect(try await sha256(target) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["someone-elses.img"])
            let forced = try await Self.convertOnKVM(
                hosts, [hosts.url(path: xen.guestOnXen), target, "--no-fix", "--force"])
            #expect(forced.succeeded, "\(forced.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["someone-elses.img"])
        }
    }

    /// SIGTERM while the stream has stalled (the Xen host stops sending after 20 MB, keeping
    /// the channel open): exit 130 within a second, no target, no staging file.
    @Test func aStopDuringAStalledTransferCleansUp() async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let stall = xen.dir.file("stall.sh")
        let stalled = xen.dir.file("stalled")
        try """
        case "$SSH_ORIGINAL_COMMAND" in
          *"e2image -ra"*) sh -c "$SSH_ORIGINAL_COMMAND" | { head -c 20000000; touch \(stalled); exec sleep 300 <&-; } ;;
          *) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;
        esac

        """.write(toFile: stall, atomically: true, encoding: .utf8)
        try await TestHosts.with(xenBinds: [xen.bind], xenSSHD: ["ForceCommand /bin/sh \(stall)"]) { hosts in
            let target = work.file("remote.img")
            let convert = [
                Xen2KVMBinary.path, "convert", hosts.url(path: xen.guestOnXen), target, "--no-fix", "--ssh-config",
                hosts.sshConfig,
            ].map { "'\($0)'" }.joined(separator: " ")
            // Stopped once the Xen side has sent its 20 MB and a second has passed for them to
            // arrive (or after 60 s): the stream is stalled, not flowing, when the stop lands.
            let script = """
                \(convert) & pid=$!
                for i in $(seq 600); do [ -e \(stalled) ] && break; sleep 0.1; done
                sleep 1
                kill -TERM $pid; wait $pid
                """
            let started = ContinuousClock.now
            let result = try await hosts.run(on: .kvm, ["sh", "-c", script])
            print("stopped: exit \(result.status) after \(ContinuousClock.now - started): \(result.stderr)")
            #expect(result.status == 130, "\(result.stderr)")
            #expect(result.stderr.contains("interrupted: stopped while reading from root@192.0.2.1"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
        }
    }
}
