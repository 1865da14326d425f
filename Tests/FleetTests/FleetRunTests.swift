import Fleet
import Foundation
import TestSupport
import Testing

/// `xen2kvm fleet` over three local guests, two of them real three-disk guests (WebGuest) and
/// one blocked (its root disk is missing): what runs, what a rerun redoes, and two runs at once.
@Suite struct FleetRunTests {
    /// A fleet directory: the manifest, the storage, and the guests' definitions.
    struct LocalFleet {
        let directory: TemporaryDirectory
        let guests: [WebGuest]
        var manifest: String { directory.file("fleet.json") }
        var storage: String { directory.file("kvm") }
        var state: String { directory.file("fleet.state") }
        func definition(_ name: String) -> String { directory.file("\(name).cfg") }

        init(names: [String] = ["alpha", "beta"]) async throws {
            directory = try TemporaryDirectory()
            var guests: [WebGuest] = []
            for (index, name) in names.enumerated() {
                let guest = try await WebGuest()
                let text = try String(contentsOfFile: guest.config, encoding: .utf8)
                    .replacing("name = \"web02\"", with: "name = \"\(name)\"")
                    .replacing("00:16:3e:12:34:56", with: "00:16:3e:12:34:5\(index)")
                try text.write(toFile: directory.file("\(name).cfg"), atomically: true, encoding: .utf8)
                guests.append(guest)
            }
            self.guests = guests
            let lost = """
                name = "lost"
                memory = 256
                bootloader = "pygrub"
                disk = [ 'file:\(directory.file("lost-root.img")),xvda1,w' ]

                """
            try lost.write(toFile: directory.file("lost.cfg"), atomically: true, encoding: .utf8)
            let manifest = """
                {
                  "version": 1,
                  "defaults": {"storage": "dir:kvm", "bridgeMap": {"xenbr0": "br0"}, "domainType": "qemu",
                               "fix": {"editsOnly": true}},
                  "guests": [
                    {"name": "alpha", "definition": "alpha.cfg"},
                    {"name": "beta", "definition": "beta.cfg"},
                    {"name": "lost", "definition": "lost.cfg"}
                  ]
                }
                """
            try manifest.write(toFile: directory.file("fleet.json"), atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: directory.file("kvm"), withIntermediateDirectories: true)
        }

        func run(_ arguments: [String]) async throws -> (CommandResult, FleetReport) {
            let run = try await Xen2KVMBinary.run(["fleet", manifest, "--json"] + arguments)
            let report = try JSONDecoder().decode(FleetReport.self, from: Data(run.stdout.utf8))
            return (run, report)
        }
    }

    static let tools = WebGuest.tools + ["virsh", "virt-xml-validate"]

    static func guest(_ report: FleetReport, _ name: String) throws -> FleetReport.Guest {
        try #require(report.guests.first { $0.name == name })
    }

    /// The inode and mtime of each target: a copy made again changes them.
    static func identities(_ paths: [String]) throws -> [String] {
        try paths.map { path in
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return "\(attributes[.systemFileNumber] ?? 0) \(attributes[.modificationDate] ?? 0)"
        }
    }

    @Test(.requires(root: true, tools: tools)) func twoFinishOneIsRefusedAndARerunRedoesOnlyWhatChanged() async throws {
        let fleet = try await LocalFleet()
        let dry = try await Xen2KVMBinary.run(["fleet", fleet.manifest, "--dry-run", "--parallel", "2"])
        #expect(dry.status == 2, "\(dry.stderr)")
        #expect(dry.stdout.contains("The estimate assumes:"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fleet.storage) == [])
        // A file this fleet did not make where alpha's XML goes: fixable, not blocked.
        try "<domain/>".write(toFile: "\(fleet.storage)/alpha.xml", atomically: true, encoding: .utf8)
        let (inTheWay, readiness) = try await fleet.run(["--dry-run"])
        #expect(inTheWay.status == 2)
        #expect(try Self.guest(readiness, "alpha").outcome == .fixable)
        #expect(try Self.guest(readiness, "beta").outcome == .ready)
        #expect(try Self.guest(readiness, "beta").bytes > 0)
        #expect(try Self.guest(readiness, "lost").outcome == .blocked)
        try FileManager.default.removeItem(atPath: "\(fleet.storage)/alpha.xml")

        let (first, report) = try await fleet.run(["--parallel", "2"])
        #expect(first.status == 2, "\(first.stderr)")
        #expect(try Self.guest(report, "alpha").outcome == .finished)
        #expect(try Self.guest(report, "beta").outcome == .finished)
        #expect(try Self.guest(report, "beta").phase == .domainWritten)
        #expect(try Self.guest(report, "beta").bytes > 0)
        let lost = try Self.guest(report, "lost")
        #expect(lost.outcome == .blocked)
        #expect(lost.findings.contains { $0.contains("lost-root.img") }, "\(lost.findings)")
        let targets = ["alpha", "beta"].flatMap { name in
            ["xvda1", "xvda2", "xvdb"].map { "\(fleet.storage)/\(name)-\($0).img" }
        }
        let fstab = try await fleet.guests[0].guestFile("/etc/fstab", of: "\(fleet.storage)/alpha-xvda1.img")
        let entries = fstab.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(entries.contains { $0.hasPrefix("/dev/vda1 ") } && !entries.contains { $0.contains("/dev/xvd") })
        #expect(FileManager.default.fileExists(atPath: "\(fleet.storage)/beta.xml"))
        let state = try String(contentsOfFile: "\(fleet.state)/alpha.json", encoding: .utf8)
        #expect(state.contains("\"domain written\"") && state.contains("\"fingerprint\""))
        let made = try Self.identities(targets)

        // Again: nothing to do for the two done, no copy; the blocked one is still refused.
        let (second, again) = try await fleet.run(["--parallel", "2"])
        #expect(second.status == 2, "\(second.stderr)")
        for name in ["alpha", "beta"] {
            let guest = try Self.guest(again, name)
            #expect(guest.outcome == .done, "\(guest)")
            #expect(guest.bytes == 0)
            #expect(guest.work.contains { $0.hasPrefix("nothing to do") })
        }
        #expect(try Self.guest(again, "lost").outcome == .blocked)
        #expect(try Self.identities(targets) == made, "no target was made again")
        let (_, planned) = try await fleet.run(["--dry-run"])
        #expect(try Self.guest(planned, "alpha").outcome == .done)

        // Its domain started on KVM: QEMU locks the disks. Nothing to do is still done (the
        // rerun after the Ansible role's start); a redo of the disks would be refused.
        let running = try QEMUImageLock("\(fleet.storage)/alpha-xvda1.img")
        let (_, locked) = try await fleet.run(["--dry-run", "--only", "alpha"])
        let whileLocked = try Self.guest(locked, "alpha")
        #expect(whileLocked.outcome == .done, "\(whileLocked)")
        let (runWhileLocked, lockedRun) = try await fleet.run(["--only", "alpha"])
        #expect(runWhileLocked.status == 0, "\(runWhileLocked.stderr)")
        #expect(try Self.guest(lockedRun, "alpha").outcome == .done)
        running.release()

        // alpha's definition changed (more memory): its domain is written again, its disks stay.
        let alpha = try String(contentsOfFile: fleet.definition("alpha"), encoding: .utf8)
        try alpha.replacing("memory = 512", with: "memory = 1024")
            .write(toFile: fleet.definition("alpha"), atomically: true, encoding: .utf8)
        let (third, changed) = try await fleet.run(["--only", "alpha"])
        #expect(third.status == 0, "\(third.stderr)")
        let redone = try Self.guest(changed, "alpha")
        #expect(redone.outcome == .finished)
        #expect(
            redone.work.contains { $0.hasPrefix("domain written again: domain XML changed") },
            "\(redone.work) \(redone.findings)")
        #expect(redone.bytes == 0)
        #expect(try String(contentsOfFile: "\(fleet.storage)/alpha.xml", encoding: .utf8).contains("1024"))
        #expect(try Self.identities(targets) == made)
        // The phases before the one redone are kept: the rerun has nothing to do.
        let (_, redoneOnce) = try await fleet.run(["--only", "alpha"])
        #expect(try Self.guest(redoneOnce, "alpha").outcome == .done, "\(redoneOnce)")

        // beta's data volume changed: its disks are converted again (and fixed, and the XML).
        try await Command.check("touch", [fleet.guests[1].data])
        let (fourth, touched) = try await fleet.run(["--only", "beta"])
        #expect(fourth.status == 0, "\(fourth.stderr)")
        let beta = try Self.guest(touched, "beta")
        #expect(beta.outcome == .finished)
        #expect(beta.work.contains { $0.hasPrefix("converted again: disk xvdb changed") }, "\(beta.work)")
        #expect(beta.bytes > 0)
    }

    @Test(.requires(root: true, tools: tools)) func twoRunsAtOnceNeverTakeTheSameGuest() async throws {
        let fleet = try await LocalFleet()
        let arguments = ["--parallel", "2", "--only", "alpha", "--only", "beta"]
        async let one = fleet.run(arguments)
        async let two = fleet.run(arguments)
        let runs = try await [one, two]
        for (run, _) in runs { #expect([0, 75].contains(run.status), "\(run.stderr)") }
        for name in ["alpha", "beta"] {
            let outcomes = try runs.map { try Self.guest($0.1, name).outcome }
            #expect(outcomes.filter { $0 == .finished }.count == 1, "\(name): \(outcomes)")
            #expect(outcomes.allSatisfy { [.finished, .busy, .done].contains($0) }, "\(name): \(outcomes)")
        }
        let (_, after) = try await fleet.run(arguments)
        #expect(after.guests.allSatisfy { $0.outcome == .done })

        // A guest whose lock another holds is left to it: busy, exit 75, its state untouched.
        let held = try #require(try StateDirectory(fleet.state).lock("alpha"))
        let (busy, report) = try await fleet.run(["--only", "alpha"])
        #expect(busy.status == 75, "\(busy.stderr)")
        #expect(try Self.guest(report, "alpha").outcome == .busy)
        _ = held
    }

    /// `bootCheck`: after the domain is written, the converted guest boots under QEMU before it is
    /// defined. This one cannot (edits only: no bootloader on the new disk), so it stops at
    /// boot-checked, not defined, and the rerun goes on from there. ~30 s of TCG, no login boot.
    @Test(.requires(root: true, tools: tools + ["qemu-system-x86_64"]))
    func aGuestThatDoesNotBootStopsAtBootCheckedAndIsNotDefined() async throws {
        let fleet = try await LocalFleet(names: ["alpha"])
        try """
        {
          "defaults": {"storage": "dir:kvm", "bridgeMap": {"xenbr0": "br0"}, "domainType": "qemu",
                       "fix": {"editsOnly": true}, "define": "test:///default", "bootCheck": true},
          "guests": [{"name": "alpha", "definition": "alpha.cfg"}]
        }
        """.write(toFile: fleet.manifest, atomically: true, encoding: .utf8)
        let (_, planned) = try await fleet.run(["--dry-run"])
        #expect(planned.assumptions.contains { $0.contains("with bootCheck boots for") }, "\(planned.assumptions)")

        let (run, report) = try await BootSlots.boot {
            try await fleet.run(["--accel", "tcg", "--boot-timeout", "600"])
        }
        print("aGuestThatDoesNotBootStopsAtBootCheckedAndIsNotDefined:\n\(run.stderr)")
        #expect(run.status == 1, "\(run.stderr)")
        let alpha = try Self.guest(report, "alpha")
        #expect(alpha.outcome == .failed, "\(alpha)")
        #expect(alpha.phase == .domainWritten)
        #expect(alpha.failedAt == .bootChecked)
        let proof = try #require(alpha.bootCheck)
        #expect(!proof.booted)
        #expect(proof.disks.first == "\(fleet.storage)/alpha-xvda1.img", "the root first: \(proof.disks)")
        #expect(proof.disks.count == 3, "every disk of the domain: \(proof.disks)")
        let error = try #require(alpha.error)
        #expect(error.contains("did not reach its login prompt") && error.contains("nothing was defined"), "\(error)")
        #expect(FileManager.default.fileExists(atPath: "\(fleet.storage)/alpha-boot-check.log"))
        let state = try String(contentsOfFile: "\(fleet.state)/alpha.json", encoding: .utf8)
        #expect(state.contains("\"domain written\""), "\(state)")
        #expect(!state.contains("\"boot-checked\"") && !state.contains("\"defined\""), "\(state)")

        // The rerun goes on from the boot check: the disks and the XML stay as they are.
        let (_, again) = try await fleet.run(["--dry-run"])
        let next = try Self.guest(again, "alpha")
        #expect(next.outcome == .ready, "\(next)")
        #expect(next.work == ["boot-checked: not done yet"], "\(next.work)")
        #expect(next.bytes == 0)
    }
}
