import Conversion
import Foundation
import Migration
import TestSupport
import Testing

/// The plan of a real three-disk guest: each disk probed once, its method, its KVM name, and
/// the refusals, each from the check that owns it.
@Suite struct MigrationPlanTests {
    static func plan(
        _ guest: WebGuest, _ edit: (inout MigrationOptions) -> Void = { _ in }, xenToolPath: String = "/nonexistent"
    ) async throws -> MigrationPlan {
        var options = MigrationOptions()
        options.storageDirectory = guest.storage
        edit(&options)
        let text = try String(contentsOfFile: guest.config, encoding: .utf8)
        return try await MigrationPlanner.plan(
            definition: text, source: guest.config, options: options, xenToolPath: xenToolPath)
    }

    @Test(.requires(root: true, tools: WebGuest.tools)) func eachDiskGetsItsMethodAndName() async throws {
        let guest = try await WebGuest()
        let plan = try await Self.plan(guest)
        #expect(plan.refusals == [])
        #expect(plan.disks.map(\.xen) == ["xvda1", "xvda2", "xvdb"])
        #expect(plan.disks.map(\.role) == [.root, .swap, .data])
        #expect(plan.disks.map { $0.conversion?.method } == [.blocks, .swap, .blocks])
        #expect(plan.disks.map(\.kvmName) == ["vda1", "vdb1", "vdc1"])
        #expect(plan.disks.map(\.target) == ["xvda1", "xvda2", "xvdb"].map { "\(guest.storage)/web02-\($0).img" })
        // xvdb was probed: a bare filesystem known, not assumed.
        #expect(plan.definition.deviceMap.entries.allSatisfy { !$0.contentAssumed })
        #expect(plan.deviceMap == ["xvda1": "vda1", "xvda2": "vdb1", "xvdb": "vdc1"])
        #expect(plan.xmlPath == "\(guest.storage)/web02.xml")
    }

    @Test(.requires(root: true, tools: WebGuest.tools)) func explicitTargetsWinAndMustNameDisks() async throws {
        let guest = try await WebGuest()
        let plan = try await Self.plan(guest) {
            $0.diskTargets = ["xvdb": guest.directory.file("mine.img"), "xvdz": "/x"]
        }
        #expect(plan.disks[2].target == guest.directory.file("mine.img"))
        #expect(plan.refusals.contains { $0.hasPrefix("--disk xvdz=…: the definition has no disk xvdz") })
    }

    @Test(.requires(root: true, tools: WebGuest.tools)) func conflictingTargetsAreRefused() async throws {
        let guest = try await WebGuest()
        let same = try await Self.plan(guest) { $0.diskTargets = ["xvda2": "/tmp/one.img", "xvdb": "/tmp/one.img"] }
        #expect(same.refusals.contains("xvda2 and xvdb have one target, /tmp/one.img"))
        let onSource = try await Self.plan(guest) { $0.diskTargets = ["xvdb": guest.root] }
        #expect(onSource.refusals.contains("the target of xvdb is the source of xvda1, \(guest.root)"))
    }

    @Test(.requires(root: true, tools: WebGuest.tools)) func aDiskWithoutTargetIsRefused() async throws {
        let guest = try await WebGuest()
        let plan = try await Self.plan(guest) { $0.storageDirectory = nil }
        #expect(plan.refusals.contains("xvda1: no target: pass --storage dir:PATH or --disk xvda1=TARGET"))
    }

    /// `xl list web02` exits 0: the guest runs on this Xen host.
    @Test(.requires(root: true, tools: WebGuest.tools)) func aGuestStillRunningOnXenIsRefused() async throws {
        let guest = try await WebGuest()
        let bin = guest.directory.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\n[ \"$1 $2\" = 'list web02' ]\n".write(toFile: "\(bin)/xl", atomically: true, encoding: .utf8)
        chmod("\(bin)/xl", 0o755)
        let running = try await Self.plan(guest, xenToolPath: "\(bin):/usr/bin:/bin")
        #expect(running.refusals.contains { $0.hasPrefix("the guest web02 is running on this Xen host") })
        try "#!/bin/sh\nexit 1\n".write(toFile: "\(bin)/xl", atomically: true, encoding: .utf8)
        let stopped = try await Self.plan(guest, xenToolPath: "\(bin):/usr/bin:/bin")
        #expect(stopped.refusals == [])
    }
}
