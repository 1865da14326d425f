import Foundation
import Testing

@testable import Fleet

/// The pieces under the run: the fingerprints' hash, the estimate's schedule, the readiness of
/// a refusal, where the state goes, and the state file written whole.
@Suite struct FleetUnitTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func sha256MatchesTheStandardVectors(_ text: String, _ digest: String) {
        #expect(SHA256.hex(text) == digest)
    }

    static func schedule(_ hosts: [String], parallel: Int, perSource: Int? = nil) -> FleetSchedule {
        FleetSchedule(hosts: hosts, parallel: parallel, perSource: perSource)
    }

    @Test func theEstimateSchedulesGuestsInOrderAsSlotsFree() {
        let local = { (count: Int) in [String](repeating: "local", count: count) }
        #expect(Self.schedule(local(3), parallel: 2).estimate([10, 10, 10]) == 20)
        #expect(Self.schedule(local(4), parallel: 2).estimate([30, 10, 10, 10]) == 30)
        #expect(Self.schedule(local(2), parallel: 1).estimate([5, 5]) == 10)
        #expect(Self.schedule([], parallel: 4).estimate([]) == 0)
        // One per source: xen1's second guest waits for its first, xen2's runs beside it.
        #expect(Self.schedule(["xen1", "xen1", "xen2"], parallel: 3, perSource: 1).estimate([10, 10, 10]) == 20)
        #expect(Self.schedule(["xen1", "xen1", "xen2"], parallel: 3).estimate([10, 10, 10]) == 10)
    }

    /// Stand-in work that counts the guests running, in all and per host, at every start.
    actor Concurrency {
        var running: [String: Int] = [:]
        var most: [String: Int] = [:]
        var mostInAll = 0

        func enter(_ host: String) {
            running[host, default: 0] += 1
            most[host] = max(most[host] ?? 0, running[host]!)
            mostInAll = max(mostInAll, running.values.reduce(0, +))
        }

        func leave(_ host: String) { running[host]! -= 1 }
    }

    static func concurrency(_ hosts: [String], parallel: Int, perSource: Int?) async -> (Concurrency, [Int]) {
        let seen = Concurrency()
        let results = await Self.schedule(hosts, parallel: parallel, perSource: perSource).run { index in
            await seen.enter(hosts[index])
            // Long enough that what the scheduler starts together overlaps on a loaded machine.
            try? await Task.sleep(for: .milliseconds(250 + 50 * (index % 3)))
            await seen.leave(hosts[index])
            return index
        }
        return (seen, results)
    }

    @Test func perSourceBoundsTheGuestsOfOneHostWithinParallel() async {
        let hosts = ["xen1", "xen1", "xen1", "xen2", "xen2", "local", "xen1", "xen2", "local"]
        let (bounded, results) = await Self.concurrency(hosts, parallel: 4, perSource: 2)
        #expect(results == Array(hosts.indices), "every guest ran once, reported in the manifest's order")
        // The bound holds for every host and in all; xen1 reaches it at the start (three of the
        // first four guests are its). Whether xen2 and local reach it depends on timing.
        let most = await bounded.most
        #expect(most["xen1"] == 2 && most.values.allSatisfy { $0 <= 2 }, "\(most)")
        #expect(await bounded.mostInAll <= 4)
        // Without the bound the first four (three of xen1) run together: the bound is what held it.
        let (unbounded, _) = await Self.concurrency(hosts, parallel: 4, perSource: nil)
        #expect(await unbounded.most["xen1"] == 3)
        // One at a time from each host: three hosts, never more than three at once.
        let (single, _) = await Self.concurrency(hosts, parallel: 8, perSource: 1)
        #expect(await single.most == ["xen1": 1, "xen2": 1, "local": 1])
        #expect(await single.mostInAll <= 3)
    }

    @Test func theSourceHostIsTheXenHostWhoeverLogsIn() throws {
        let manifest = try FleetManifest.parse(
            #"""
            {"guests": [{"name": "a", "definition": "a.cfg"}, {"name": "b", "definition": "b", "source": "ssh://root@Xen1"},
                        {"name": "c", "definition": "c", "source": "ssh://admin@xen1"}]}
            """#)
        #expect(manifest.resolved(relativeTo: "/srv").map(\.sourceHost) == ["local", "xen1", "xen1"])
    }

    @Test func refusalsTheOperatorClearsAreFixable() {
        #expect(GuestWork.isFixable("the guest web01 is running on this Xen host (`xl list web01` lists it): …"))
        #expect(GuestWork.isFixable("/srv/kvm/web01.xml exists: remove it, or pass --force to write over it"))
        #expect(GuestWork.isFixable("xvda1: no target: pass --storage dir:PATH or --disk xvda1=TARGET"))
        #expect(!GuestWork.isFixable("not-pv-guest: this is a Xen HVM guest; xen2kvm moves PV guests only."))
    }

    @Test func theStateGoesBesideTheManifest() {
        #expect(Fleet.defaultStateDirectory(for: "/srv/fleet/fleet.json") == "/srv/fleet/fleet.state")
        #expect(Fleet.defaultStateDirectory(for: "batch1") == "batch1.state")
    }

    @Test func theStateIsWrittenWholeAndTheLockIsExclusive() throws {
        let path = NSTemporaryDirectory() + "fleet-state-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = try StateDirectory(path)
        var state = GuestState(guest: "web01")
        state.record(.init(phase: .converted, fingerprint: "f1", inputs: ["disk xvda1": "a"], at: "now"))
        state.record(.init(phase: .fixed, fingerprint: "f2", inputs: [:], at: "now"))
        state.record(.init(phase: .converted, fingerprint: "f3", inputs: [:], at: "now"))
        #expect(state.phases.map(\.phase) == [.converted], "a phase redone forgets those after it")
        state.record(.init(phase: .fixed, fingerprint: "f4", inputs: [:], at: "now"))
        state.record(.init(phase: .converted, fingerprint: "f3", inputs: [:], at: "later"))
        state.record(.init(phase: .planned, fingerprint: "p2", inputs: [:], at: "later"))
        #expect(
            state.phases.map(\.phase) == [.planned, .converted, .fixed],
            "the plan, or a phase done again with the same inputs, keeps those after it")
        state.forget(from: .fixed)
        try directory.write(state)
        #expect(try directory.read("web01")?.phases.map(\.fingerprint) == ["p2", "f3"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["web01.json"], "no temporary left")
        let held = try #require(try directory.lock("web01"))
        #expect(try directory.lock("web01") == nil, "a second lock on the guest is refused")
        _ = held
    }
}
