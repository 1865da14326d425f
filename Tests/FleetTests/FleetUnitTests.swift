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

    @Test func theEstimateSchedulesGuestsInOrderAsSlotsFree() {
        #expect(Fleet.estimate([10, 10, 10], parallel: 2) == 20)
        #expect(Fleet.estimate([30, 10, 10, 10], parallel: 2) == 30)
        #expect(Fleet.estimate([5, 5], parallel: 1) == 10)
        #expect(Fleet.estimate([], parallel: 4) == 0)
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
        try directory.write(state)
        #expect(try directory.read("web01")?.phases.map(\.fingerprint) == ["f3"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["web01.json"], "no temporary left")
        let held = try #require(try directory.lock("web01"))
        #expect(try directory.lock("web01") == nil, "a second lock on the guest is refused")
        _ = held
    }
}
