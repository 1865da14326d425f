import Foundation
import TestSupport
import Testing

/// `xen2kvm migrate --from ssh://root@XEN GUEST` between the two namespace hosts (TestHosts):
/// the guest's definition is in the Xen host's /etc/xen and its disks in a directory only that
/// host sees (XenHostGuest), so the KVM host can have read both only over ssh.
@Suite(
    .serialized,
    .requires(
        root: true,
        tools: TestHosts.tools + WebGuest.tools + ["e2image", "e2fsck", "diff", "virsh", "virt-xml-validate"])
)
struct RemoteMigrateTests {
    static let common = ["--bridge-map", "xenbr0=br0", "--domain-type", "qemu", "--edits-only"]

    static func migrateOnKVM(_ hosts: TestHosts, _ arguments: [String]) async throws -> CommandResult {
        try await hosts.run(
            on: .kvm,
            [Xen2KVMBinary.path, "migrate", "--from", "ssh://root@\(hosts.address(.xen))"] + arguments + [
                "--ssh-config", hosts.sshConfig,
            ])
    }

    /// A disk image's bytes with its MBR disk signature (bytes 440–443, random on every run) zeroed.
    static func withoutDiskSignature(_ path: String) throws -> Data {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.replaceSubrange(440..<444, with: Data(count: 4))
        return data
    }

    /// The files of partition 1 of a converted disk (debugfs rdump), after e2fsck -fn finds it clean.
    static func guestTree(of disk: String, into directory: String) async throws {
        let partition = "\(directory).p1"
        try await Command.check("dd", ["if=\(disk)", "of=\(partition)", "bs=1M", "skip=1", "status=none"])
        defer { try? FileManager.default.removeItem(atPath: partition) }
        try await Command.check("e2fsck", ["-fn", partition])
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await Command.check("debugfs", ["-R", "rdump / \(directory)", partition])
    }

    @Test func givesTheLocalMigratesDisksAndDomain() async throws {
        let xen = try await XenHostGuest()
        let guest = xen.guest
        var before: [String] = []
        for source in guest.sources { before.append(try await sha256(source)) }
        let work = try TemporaryDirectory()
        let local = work.file("local")
        let remote = work.file("remote")
        let streamed = work.file("x2k")
        for dir in [local, remote, streamed] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let localRun = try await Xen2KVMBinary.run(
            ["migrate", guest.config, "--storage", "dir:\(local)"] + Self.common)
        #expect(localRun.status == 0, "\(localRun.stderr)")

        try await xen.with { hosts in
            // Only the Xen host has the definition and the disks.
            #expect(!FileManager.default.fileExists(atPath: "/etc/xen/\(WebGuest.name).cfg"))
            #expect(!FileManager.default.fileExists(atPath: "\(xen.view)/root.img"))
            try await hosts.check(
                on: .xen, ["test", "-f", "/etc/xen/\(WebGuest.name).cfg", "-a", "-f", "\(xen.view)/root.img"])

            let run = try await Self.migrateOnKVM(hosts, [WebGuest.name, "--storage", "dir:\(remote)"] + Self.common)
            print("migrate --from: exit \(run.status)\n\(run.stderr)\(run.stdout)")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("definition: /etc/xen/web02.cfg on 192.0.2.1"), "\(run.stderr)")
            #expect(run.stderr.contains("web02 is not running there (`xl list web02` on 192.0.2.1)"), "\(run.stderr)")
            // The ext root and data volume by e2image, of the swap area its header, each with its reason.
            #expect(run.stderr.contains("transport e2image: a clean ext filesystem and e2image on 192.0.2.1"))
            #expect(
                run.stderr.contains("/swap.img (xvda2) by dd, its first 65536 bytes only: a swap area's header"),
                "\(run.stderr)")
            for disk in ["root.img", "swap.img", "data.img"] {
                #expect(
                    run.stdout.contains("ssh://root@192.0.2.1\(xen.view)/\(disk) → \(remote)/web02-"), "\(run.stdout)")
            }
            #expect(
                run.stdout.contains("checked: xen2kvm's checks, virt-xml-validate, virsh -c test:///default define"))
            // One ssh connection: the definition, xl list, then each disk's probe and stream.
            let commands = xen.commandsRun()
            #expect(
                commands.contains("xen2kvm-definition-name 'web02'") && commands.contains("xen2kvm-running 'web02'"),
                "\(commands)")
            #expect(!commands.contains("of="), "a command wrote on the Xen host: \(commands)")
            #expect(
                !commands.contains("xen2kvm-dd '\(xen.view)/swap.img'"), "the swap volume crossed whole: \(commands)")

            // With xen2kvm on the Xen host, auto takes x2k for the ext root and data volume: each
            // planned from its stream's header, written straight into its target; the swap as before.
            let x2k = try await Self.migrateOnKVM(
                hosts,
                [WebGuest.name, "--storage", "dir:\(streamed)", "--remote-xen2kvm", Xen2KVMBinary.path] + Self.common)
            print("migrate --from, x2k: exit \(x2k.status)\n\(x2k.stderr)\(x2k.stdout)")
            #expect(x2k.status == 0, "\(x2k.stderr)")
            #expect(x2k.stderr.contains("transport x2k: a clean ext filesystem and xen2kvm on 192.0.2.1"))
            for (disk, vdev) in [("root.img", "xvda1"), ("data.img", "xvdb")] {
                let source = "ssh://root@192.0.2.1\(xen.view)/\(disk)"
                #expect(
                    x2k.stderr.contains("planned \(source) (\(vdev)) from its x2k header: x2k writes it into "),
                    "\(x2k.stderr)")
                #expect(
                    x2k.stderr.contains("received \(source) by x2k straight into \(streamed)/web02-\(vdev).img: "),
                    "\(x2k.stderr)")
            }
            #expect(x2k.stderr.contains("/swap.img (xvda2) by dd, its first 65536 bytes only: a swap area's header"))
            let sends = xen.commandsRun().split(separator: "\n").filter { $0.contains("'send' '--' ") }
            // Each ext disk's stream twice: its header for the plan, then the transfer.
            #expect(sends.count == 4 && sends.allSatisfy { !$0.contains("swap.img") }, "\(sends)")
        }

        try await Self.guestTree(of: "\(local)/web02-xvda1.img", into: work.file("local-tree"))
        for remote in [remote, streamed] {
            // The same domain XML, but for the directory the disks are in.
            let localXML = try String(contentsOfFile: "\(local)/web02.xml", encoding: .utf8)
            let remoteXML = try String(contentsOfFile: "\(remote)/web02.xml", encoding: .utf8)
            #expect(remoteXML == localXML.replacing(local, with: remote))
            // The same swap and data disks, byte for byte; the same fixed guest on the root.
            for vdev in ["xvda2", "xvdb"] {
                let name = "web02-\(vdev).img"
                #expect(
                    try Self.withoutDiskSignature("\(remote)/\(name)") == Self.withoutDiskSignature("\(local)/\(name)"),
                    "\(remote)/\(name)")
            }
            let tree = "\(remote)-tree"
            try await Self.guestTree(of: "\(remote)/web02-xvda1.img", into: tree)
            let trees = try await Command.run("diff", ["-r", "--no-dereference", work.file("local-tree"), tree])
            #expect(trees.status == 0, "the fixed roots differ: \(trees.stdout)\(trees.stderr)")
            let fstab = try String(contentsOfFile: "\(tree)/etc/fstab", encoding: .utf8)
            let entries = fstab.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(entries.contains { $0.hasPrefix("/dev/vda1 ") } && !entries.contains { $0.contains("/dev/xvd") })
            // Nothing but the disks and the XML: no staging file, no x2k state left.
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: remote).sorted()
                    == ["web02-xvda1.img", "web02-xvda2.img", "web02-xvdb.img", "web02.xml"])
        }
        var after: [String] = []
        for source in guest.sources { after.append(try await sha256(source)) }
        #expect(after == before, "the sources are never written")
    }

    /// kill -9 of the KVM side's migrate once half the root's data is checkpointed: the same
    /// command resumes that disk's x2k transfer from its checkpoint (at most 0.6 of its data
    /// again) and gives the same guest as a run that was never stopped.
    @Test func aKilledMigrateResumesTheTransfer() async throws {
        let xen = try await XenHostGuest()
        let work = try TemporaryDirectory()
        let storage = work.file("kvm")
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        let state = "\(storage)/.web02-xvda1.img.x2k-state"
        // 24 MiB of data on the root: six checkpoints (every 4 MiB at least), so half way is one.
        let blob = work.file("blob")
        try await Command.check("dd", ["if=/dev/urandom", "of=\(blob)", "bs=1M", "count=24", "status=none"])
        try await Command.check("debugfs", ["-w", "-R", "write \(blob) /srv-blob", xen.guest.root])
        // A pause after each checkpoint, so that "half way" lasts long enough to be seen.
        try await xen.with(sshd: ["SetEnv XEN2KVM_TEST_SEND_PAUSE_MS=400"]) { hosts in
            let migrate =
                ([Xen2KVMBinary.path, "migrate", "--from", "ssh://root@\(hosts.address(.xen))", WebGuest.name]
                    + ["--storage", "dir:\(storage)", "--remote-xen2kvm", Xen2KVMBinary.path] + Self.common + [
                        "--ssh-config", hosts.sshConfig,
                    ])
            let killed = try await X2KHalfWay.kill(hosts, migrate, state: state)
            print("migrate killed: \(killed.run.stdout)")
            let total = killed.total
            try #require(killed.checkpointed * 2 >= total && total > 0, "\(killed.run.stdout)\(killed.run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(storage)/web02.xml"))

            let rerun = try await hosts.run(on: .kvm, migrate)
            print("migrate again: exit \(rerun.status)\n\(rerun.stderr)")
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let received = rerun.stderr.split(separator: "\n").first {
                $0.contains("/root.img by x2k straight into \(storage)/web02-xvda1.img: ")
            }
            let line2 = try #require(received, "\(rerun.stderr)")
            #expect(line2.contains(", resumed from filesystem byte "), "\(line2)")
            let words = line2.split(separator: " ")
            let data = words.firstIndex(of: "data").flatMap { UInt64(words[$0 - 1]) } ?? .max
            #expect(Double(data) <= 0.6 * Double(total), "\(data) of \(total) data bytes again: \(line2)")
            #expect(!FileManager.default.fileExists(atPath: state), "the transfer's state is left")
        }
        // The same fixed guest as a local migrate's.
        let local = work.file("local")
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let localRun = try await Xen2KVMBinary.run(
            ["migrate", xen.guest.config, "--storage", "dir:\(local)"] + Self.common)
        #expect(localRun.status == 0, "\(localRun.stderr)")
        try await Self.guestTree(of: "\(local)/web02-xvda1.img", into: work.file("local-tree"))
        try await Self.guestTree(of: "\(storage)/web02-xvda1.img", into: work.file("tree"))
        let trees = try await Command.run(
            "diff", ["-r", "--no-dereference", work.file("local-tree"), work.file("tree")])
        #expect(trees.status == 0, "the fixed roots differ: \(trees.stdout)\(trees.stderr)")
    }

    /// A guest the Xen host's `xl list` shows running is refused before a byte moves, by name
    /// and by path; a guest with no definition there is refused with where it was looked for.
    @Test func refusesARunningGuestAndWritesNothing() async throws {
        let xen = try await XenHostGuest()
        let work = try TemporaryDirectory()
        try await xen.with { hosts in
            for guest in [XenHostGuest.running, "/etc/xen/\(XenHostGuest.running).cfg"] {
                let run = try await Self.migrateOnKVM(hosts, [guest, "--storage", "dir:\(work.path)"])
                print("running \(guest): exit \(run.status): \(run.stderr)")
                #expect(run.status == 2, "\(run.stderr)")
                #expect(
                    run.stderr.contains(
                        "the guest busy01 is running on the Xen host 192.0.2.1 (`xl list busy01` lists it there): "
                            + "shut it down first"), "\(run.stderr)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
            }
            #expect(!xen.commandsRun().contains("e2image"), "a disk of the running guest was read")
            let missing = try await Self.migrateOnKVM(hosts, ["/etc/xen/nope.cfg", "--storage", "dir:\(work.path)"])
            #expect(missing.status == 2, "\(missing.stderr)")
            #expect(
                missing.stderr.contains("cannot read the definition of /etc/xen/nope.cfg on 192.0.2.1"),
                "\(missing.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
        }
    }
}
