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
            try """
            {
              "version": 1,
              "defaults": {"storage": "dir:kvm", "bridgeMap": {"xenbr0": "br0"}, "domainType": "qemu",
                           "fix": {"editsOnly": true}},
              "guests": [
                {"name": "web02", "definition": "web02", "source": "ssh://root@\(hosts.address(.xen))"}
              ]
            }
            """.write(toFile: manifest, atomically: true, encoding: .utf8)
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
            let (third, changed) = try await run()
            #expect(third.status == 0, "\(third.stderr)")
            #expect(changed.outcome == .finished, "\(changed)")
            // Its identity there is the transferred phase's input: that phase, and all after it, again.
            #expect(
                changed.work.contains { $0.hasPrefix("transferred again: disk xvdb changed") }, "\(changed.work)")
            #expect(changed.bytes > 0)
        }
        var after: [String] = []
        for source in xen.guest.sources { after.append(try await sha256(source)) }
        #expect(after == before, "the sources are never written")
    }
}
