import Foundation
import TestSupport
import Testing

@testable import HostSystem

/// A dead run's record is released by the next run, each holding by its own rule.
@Suite(.serialized) struct RunRecordTests {
    /// A record's line gives back the same holding, whatever the path holds.
    @Test func linesRoundTrip() {
        let identity = FileIdentity(device: 2049, inode: 77, born: 1_795_305_980_123_456_789)
        for holding: RunRecord.Holding in [
            .child(pid: 4242, started: 123_456), .mount("/tmp/xen2kvm-source.a b"),
            .loop("/dev/loop3", backing: identity), .made("/srv/odd name\\with\nnewline", identity),
        ] {
            #expect(RunRecord.Holding(line: Substring(holding.line)) == holding, "\(holding.line)")
            #expect(!holding.line.contains("\n"))
        }
    }

    /// What the record names is released only while it is still what was recorded: the child
    /// with its start time is killed, one whose pid now starts at another time is not; a made
    /// file still there is removed, one replaced since is kept (even with the old one's inode
    /// number: its birth time differs); a mount is unmounted; the record goes. A record whose run lives (its lock held) is left alone.
    @Test(.requires(root: true, tools: ["sleep"]))
    func aDeadRunsRecordIsReleasedByItsRules() async throws {
        let dir = try TemporaryDirectory()
        let ours = try Self.sleeper()
        let reused = try Self.sleeper()
        defer { reused.terminate() }
        let made = dir.file("scratch")
        try "half made".write(toFile: made, atomically: false, encoding: .utf8)
        let replaced = dir.file("target")
        try "old".write(toFile: replaced, atomically: false, encoding: .utf8)
        let oldIdentity = try #require(FileIdentity.of(replaced))
        try FileManager.default.removeItem(atPath: replaced)
        try "someone else's".write(toFile: replaced, atomically: false, encoding: .utf8)
        let point = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        let pointIdentity = try #require(FileIdentity.of(point))
        try await Command.check("mount", ["-t", "tmpfs", "none", point])

        let oursStarted = try #require(ChildProcesses.startTime(of: ours.processIdentifier))
        let reusedStarted = try #require(ChildProcesses.startTime(of: reused.processIdentifier))
        let holdings: [RunRecord.Holding] = [
            .child(pid: ours.processIdentifier, started: oursStarted),
            .child(pid: reused.processIdentifier, started: reusedStarted + 1),
            .made(point, pointIdentity), .mount(point),
            .made(made, try #require(FileIdentity.of(made))), .made(replaced, oldIdentity),
        ]
        let dead = "\(RunRecord.stateDirectory)/2147483000-0"
        let live = "\(RunRecord.stateDirectory)/2147483000-1"
        // Made under the cleaner lock, as a run makes its record: a run starting meanwhile
        // (other tests') never sees them half made.
        let cleaner = open("\(RunRecord.stateDirectory)/.clean.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(cleaner >= 0 && flock(cleaner, LOCK_EX) == 0)
        for directory in [dead, live] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            RunRecord.write(holdings, in: directory)
        }
        let lock = open("\(live)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)
        _ = FileManager.default.createFile(atPath: "\(dead)/lock", contents: nil)
        close(cleaner)

        let record = try #require(RunRecord.claim())
        record.close()
        #expect(!FileManager.default.fileExists(atPath: dead), "the dead run's record stayed")
        #expect(FileManager.default.fileExists(atPath: "\(live)/held"), "a live run's record was released")
        #expect(!ChildProcesses.isRunning(ours.processIdentifier), "the dead run's child runs on")
        #expect(ChildProcesses.isRunning(reused.processIdentifier), "a process that reused a pid was killed")
        #expect(!FileManager.default.fileExists(atPath: made))
        #expect(FileManager.default.fileExists(atPath: replaced), "a file that replaced the recorded one was removed")
        #expect(!FileManager.default.fileExists(atPath: point), "the mount point stayed (still mounted?)")

        // The live record's turn, once its lock is gone (its child is dead by now; its mount
        // point and file too). Rewritten while still locked: another run may release it as
        // soon as the lock goes.
        try "again".write(toFile: made, atomically: false, encoding: .utf8)
        RunRecord.write([.made(made, try #require(FileIdentity.of(made)))], in: live)
        close(lock)
        // Other runs of the suite release dead records too, and one may be part way through
        // this one: the next claims finish it.
        for _ in 0..<50 where FileManager.default.fileExists(atPath: live) {
            RunRecord.claim()?.close()
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!FileManager.default.fileExists(atPath: live))
        #expect(!FileManager.default.fileExists(atPath: made))
    }

    /// A guest session of an earlier xen2kvm recorded only its loop device ("loop": device,
    /// then st_dev and st_ino of the disk): a host upgraded meanwhile still releases it.
    @Test(.requires(root: true, tools: ["losetup", "truncate"]))
    func anEarlierVersionsSessionRecordIsReleased() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk.img")
        try await Command.check("truncate", ["-s", "8M", disk])
        let loop = try await Command.check("losetup", ["--find", "--show", disk]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var info = stat()
        #expect(stat(disk, &info) == 0)
        let old = "\(RunRecord.stateDirectory)/2147483000-2"
        let cleaner = open("\(RunRecord.stateDirectory)/.clean.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(cleaner >= 0 && flock(cleaner, LOCK_EX) == 0)
        try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: true)
        try "\(loop)\n\(info.st_dev) \(info.st_ino)\n".write(toFile: "\(old)/loop", atomically: false, encoding: .utf8)
        close(cleaner)
        RunRecord.claim()?.close()
        let left = try await loopLeftovers(matching: disk)
        if !left.isEmpty { _ = try? await Command.run("losetup", ["--detach", loop]) }
        #expect(left.isEmpty, "the earlier version's loop device stayed: \(left)")
        #expect(!FileManager.default.fileExists(atPath: old))
    }

    static func sleeper() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["60"]
        try process.run()
        return process
    }
}
