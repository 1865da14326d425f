import Conversion
import Foundation
import GuestSession
import TestSupport
import Testing

/// A guest session takes a loop device, partitions and mounts, shows guest programs the
/// disk under its KVM names, and gives everything back — also after a kill -9.
@Suite(.serialized) struct GuestSessionTests {
    /// A converted Debian fixture disk with a static busybox in it, so programs can run.
    static func convertedDisk(_ dir: TemporaryDirectory) async throws -> String {
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree("debian12-grub2"), toPath: tree)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: "\(tree)/usr/bin/busybox")
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: source, size: "64M")
        let disk = dir.file("kvm.img")
        var options = ConvertOptions(source: source, target: disk)
        options.table = .gpt
        _ = try await Converter.run(try Planner.plan(options), progress: SilentProgress())
        return disk
    }

    /// Leftovers after giving the kernel up to 3 s: a detached loop device is released by a
    /// kernel worker, so `losetup -a` may list it for a moment after the detach returned.
    static func settledLeftovers(_ disk: String) async throws -> String {
        var left = try await leftovers(disk)
        for _ in 0..<30 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = try await leftovers(disk)
        }
        return left
    }

    static func leftovers(_ disk: String) async throws -> String {
        let loops = try await Command.check("losetup", ["-a"]).stdout.split(separator: "\n").filter {
            $0.contains(disk)
        }
        // Only this disk's loop devices: a leaked mount keeps its loop attached, and other
        // tests' sessions may be mounted at the same time.
        return loops.joined(separator: "\n")
    }

    @Test func opensMountsAndReleasesEverything() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "losetup", "busybox"]) else { return }
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let session = try await GuestSession.open(disk, readOnly: false)
        #expect(FileManager.default.fileExists(atPath: "\(session.root)/etc/debian_version"))
        #expect(session.partitions.map(\.number) == [1, 2])
        #expect(FileManager.default.fileExists(atPath: session.partitions[0].device))
        #expect(session.close().isEmpty)
        #expect(try await Self.settledLeftovers(disk).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: session.root))
    }

    @Test func programsSeeKVMNamesNoNetworkAndTheirOwnPIDs() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "losetup", "busybox", "unshare"]) else { return }
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let session = try await GuestSession.open(disk, readOnly: false)
        defer { session.close() }
        let run = try await session.run(
            "/usr/bin/busybox",
            ["sh", "-c", "ls /dev; echo by-uuid: $(ls /dev/disk/by-uuid); echo net: $(ls /sys/class/net); echo pid=$$"])
        #expect(run.exitStatus == 0)
        for name in ["vda", "vda1", "vda2", "null", "urandom", "console", "pts"] {
            #expect(run.output.split(separator: "\n").contains { $0 == name }, "no /dev/\(name): \(run.output)")
        }
        #expect(!run.output.contains("loop"), "a host device name leaked: \(run.output)")
        #expect(run.output.contains("by-uuid: "))
        #expect(run.output.contains("net: lo\n") || run.output.hasSuffix("net: lo"), "\(run.output)")
        #expect(run.output.contains("pid=1"))

        await #expect(throws: GuestSessionError.self) {
            try await session.run("/usr/bin/busybox", ["sh", "-c", "echo going wrong; exit 3"])
        }
    }

    @Test func aKilledRunIsCleanedUpByTheNext() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "losetup", "busybox"]) else { return }
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let killed = try await runXen2KVM(
            ["fix", "--edits-only", disk], signal: SIGKILL, when: "session open",
            environment: ["XEN2KVM_TEST_PAUSE_IN_SESSION": "1"])
        #expect(killed.status == 128 + SIGKILL, "\(killed.stderr)")
        let left = try await Self.leftovers(disk)
        #expect(!left.isEmpty, "the killed run should have left its session")

        let again = try await Xen2KVMBinary.run(["fix", "--edits-only", disk])
        #expect(again.status == 0, "\(again.stderr)")
        let after = try await Self.settledLeftovers(disk)
        #expect(after.isEmpty, "left behind: \(after)")
    }
}
