import Fleet
import Foundation
import TestSupport
import Testing

/// A fleet guest with `source: ssh://root@XEN` between the two namespace hosts (TestHosts,
/// XenHostGuest): it runs through the remote migrate, a rerun receives nothing, and a disk
/// changed on the Xen host is converted again.
@Suite(
    .requires(root: true, tools: TestHosts.tools + WebGuest.tools + ["e2image", "virsh", "virt-xml-validate"]))
struct FleetRemoteTests {
    @Test func aRemoteGuestMigratesAndARerunReceivesNothingUntilADiskChanges() async throws {
        let xen = try await XenHostGuest()
        var before: [String] = []
        for source in xen.guest.sources { before.append(try await sha256(source)) }
        let fleet = try TemporaryDirectory()
        let storage = fleet.file("kvm")
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        let manifest = fleet.file("fleet.json")
        try await xen.with { hosts in
            /// `guest`: more of the guest's settings (`"transport": "x2k"`).
            func write(guest more: String = "") throws {
                try """
                {
                  "version": 1,
                  "defaults": {"storage": "dir:kvm", "bridgeMap": {"xenbr0": "br0"}, "domainType": "qemu",
                               "fix": {"editsOnly": true}},
                  "guests": [
                    {"name": "web02", "definition": "web02", "source": "ssh://root@\(hosts.address(.xen))"\(more)}
                  ]
                }
                """.write(toFile: manifest, atomically: true, encoding: .utf8)
            }
            try write()
            func run(_ extra: [String] = []) async throws -> (CommandResult, FleetReport.Guest) {
                let run = try await hosts.run(
                    on: .kvm,
                    [Xen2KVMBinary.path, "fleet", manifest, "--json", "--ssh-config", hosts.sshConfig] + extra)
                let report = try JSONDecoder().decode(FleetReport.self, from: Data(run.stdout.utf8))
                return (run, try #require(report.guests.first))
            }

            // The dry run reads the definition, asks xl list, probes each disk: nothing received.
            let (dry, ready) = try await run(["--dry-run"])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(ready.outcome == .ready, "\(ready)")
            #expect(
                ready.bytes == 64 << 20 + 64 << 10 + 16 << 20, "the root's and data disk's streams, the swap's header")
            #expect(
                ready.work.contains { $0.hasPrefix("xvda2: transport dd, 65536 bytes: its first 65536 bytes only") },
                "\(ready.work)")
            #expect(!xen.commandsRun().contains("e2image -ra"), "a disk was received in the dry run")
            #expect(try FileManager.default.contentsOfDirectory(atPath: storage).isEmpty)

            let (first, done) = try await run()
            print("fleet: exit \(first.status)\n\(first.stderr)\(first.stdout)")
            #expect(first.status == 0, "\(first.stderr)")
            #expect(done.outcome == .finished, "\(done)")
            #expect(done.phase == .domainWritten)
            #expect(done.bytes > 0)
            #expect(
                done.work.contains { $0.hasPrefix("received 3 disks from root@192.0.2.1 (dd, e2image)") },
                "\(done.work)")
            #expect(done.work.contains("transferred: not done yet"), "\(done.work)")
            let targets = ["xvda1", "xvda2", "xvdb"].map { "\(storage)/web02-\($0).img" }
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: storage).sorted()
                    == targets.map { String($0.split(separator: "/").last!) } + ["web02.xml"])
            let fstab = try await xen.guest.guestFile("/etc/fstab", of: targets[0])
            let entries = fstab.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(entries.contains { $0.hasPrefix("/dev/vda1 ") } && !entries.contains { $0.contains("/dev/xvd") })
            let made = try targets.map {
                try FileManager.default.attributesOfItem(atPath: $0)[.systemFileNumber] as? Int
            }

            // Again: the guest on its host is unchanged, so nothing is received, nothing redone.
            try "".write(toFile: xen.commands, atomically: true, encoding: .utf8)
            let (second, again) = try await run()
            #expect(second.status == 0, "\(second.stderr)")
            #expect(again.outcome == .done, "\(again)")
            #expect(again.bytes == 0)
            // What a caller defines from is still in the report, though nothing was read.
            #expect(again.domain == "web02" && again.domainXML == "\(storage)/web02.xml", "\(again)")
            #expect(
                again.work.contains { $0.hasPrefix("nothing to do: every phase is done, and the guest on 192.0.2.1") })
            let commands = xen.commandsRun()
            #expect(commands.contains("xen2kvm-running 'web02'"), "\(commands)")
            #expect(!commands.contains("e2image") && !commands.contains("dd if="), "a disk was read again: \(commands)")
            #expect(
                try targets.map { try FileManager.default.attributesOfItem(atPath: $0)[.systemFileNumber] as? Int }
                    == made)

            // A disk changed on the Xen host (its mtime there): received, and converted again.
            try await hosts.check(on: .xen, ["touch", "\(xen.view)/data.img"])
            // The guest's own transport reaches each disk's choice: x2k cannot read the swap area,
            // and the dry run says so, naming the manifest as the one that asked.
            try write(guest: #", "transport": "x2k", "remoteXen2kvm": "\#(Xen2KVMBinary.path)""#)
            let (x2kDry, x2kRefused) = try await run(["--dry-run"])
            #expect(x2kDry.status == 2, "\(x2kDry.stderr)")
            #expect(x2kRefused.outcome == .blocked, "\(x2kRefused)")
            #expect(
                x2kRefused.findings.contains {
                    $0.hasPrefix("xvda2: ")
                        && $0.contains(
                            "the manifest's transport x2k cannot read this disk: it is "
                                + "not a bare ext filesystem")
                        && $0.hasSuffix("use the manifest's transport e2image or dd")
                }, "\(x2kRefused.findings)")
            // auto with the guest's remoteXen2kvm: x2k for the ext disks, the swap area's header by dd.
            try write(guest: #", "transport": "auto", "remoteXen2kvm": "\#(Xen2KVMBinary.path)""#)
            let (autoDry, ready2) = try await run(["--dry-run"])
            #expect(autoDry.status == 0, "\(autoDry.stderr)")
            for vdev in ["xvda1", "xvdb"] {
                #expect(
                    ready2.work.contains {
                        $0.hasPrefix("\(vdev): transport x2k, ")
                            && $0.contains("a clean ext filesystem and xen2kvm on 192.0.2.1 (\(Xen2KVMBinary.path))")
                    }, "\(ready2.work)")
            }
            let (third, changed) = try await run()
            #expect(third.status == 0, "\(third.stderr)")
            #expect(changed.outcome == .finished, "\(changed)")
            // Its identity there is the transferred phase's input: that phase, and all after it, again.
            #expect(
                changed.work.contains { $0.hasPrefix("transferred again: disk xvdb changed") }, "\(changed.work)")
            #expect(changed.bytes > 0)
            #expect(
                changed.work.contains("received 1 disks from root@192.0.2.1 (dd): 65536 bytes")
                    && changed.work.contains { $0.hasPrefix("2 more by x2k, straight into their targets") },
                "\(changed.work)")
            let sends = xen.commandsRun().split(separator: "\n").filter { $0.contains("'send' '--' ") }
            #expect(
                sends.contains { $0.contains("root.img") } && sends.contains { $0.contains("data.img") }, "\(sends)")
            let fixed = try await xen.guest.guestFile("/etc/fstab", of: targets[0])
            #expect(fixed == fstab, "the root as x2k wrote it and the fixes left it")
        }
        var after: [String] = []
        for source in xen.guest.sources { after.append(try await sha256(source)) }
        #expect(after == before, "the sources are never written")
    }
}
