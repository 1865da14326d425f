import Foundation
import TestSupport
import Testing

/// Ctrl-C and kill -9 in the middle of a copy: nothing is lost, nothing is left behind, and
/// a second run works.
@Suite(.serialized) struct ConvertInterruptTests {
    /// A source with ~160 MiB of random data: read through `throttle`, its copy takes ~10 s.
    static func bigSource(_ dir: TemporaryDirectory) async throws -> String {
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: "\(tree)/data", withIntermediateDirectories: true)
        try await Command.check(
            "sh",
            ["-c", "head -c 160M /dev/urandom > \(tree)/data/blob && cp -r \(Fixtures.tree("centos6"))/etc \(tree)/"])
        let image = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: image, size: "256M")
        try FileManager.default.removeItem(atPath: tree)
        return image
    }

    /// Reading from disk rather than the page cache keeps the copy slow enough to interrupt.
    static func dropCaches() async {
        _ = try? await Command.run("sh", ["-c", "sync; echo 3 > /proc/sys/vm/drop_caches"])
    }

    /// Reads of `source` at 16 MiB/s: the copy is still running when the signal arrives.
    static func slowReads(of source: String) -> ReadThrottle {
        let throttle = ReadThrottle(file: source, bytesPerSecond: 16 << 20)
        if throttle.directory == nil {
            print("note: no blkio read throttle on this host; the interrupt may race the end of the copy")
        }
        return throttle
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalMidCopyStopsCleanly(signal: Int32) async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "e2fsck"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.bigSource(dir)
        let before = try await sha256(source)
        let target = dir.file("kvm.img")
        await Self.dropCaches()

        let result = try await runXen2KVM(
            ["convert", "--no-fix", source, target], signal: signal, when: "copying used blocks",
            throttle: Self.slowReads(of: source))
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("interrupted"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target), "the half-made target was left behind")
        #expect(try await sha256(source) == before)

        let again = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, target])
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// Nobody boots a half-written disk by mistake: while convert writes the target, QEMU
    /// refuses to start a VM on it (convert holds a lock QEMU respects).
    @Test func aVMCannotStartOnATargetBeingWritten() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "qemu-system-x86_64"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.bigSource(dir)
        let target = dir.file("kvm.img")
        await Self.dropCaches()
        let result = try await runXen2KVM(
            ["convert", "--no-fix", source, target], signal: SIGINT, when: "copying used blocks",
            throttle: Self.slowReads(of: source)
        ) {
            let vm = try await startVM(on: target)
            #expect(
                vm.status == 1 && vm.stderr.contains("Failed to lock"), "a VM started on a disk being written: \(vm)")
        }
        #expect(result.status == 130, "\(result.stderr)")
    }

    /// Interrupting the rsync method releases its mounts and loop devices.
    @Test func signalDuringRsyncReleasesMountsAndLoops() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "rsync", "losetup"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.bigSource(dir)
        let target = dir.file("kvm.img")
        await Self.dropCaches()
        let result = try await runXen2KVM(
            ["convert", "--no-fix", "--method", "rsync", source, target], signal: SIGINT,
            when: "copying files with rsync", throttle: Self.slowReads(of: source))
        #expect(result.status == 130, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
        let loops = try await loopLeftovers(matching: dir.path)
        #expect(loops.isEmpty, "loop devices left: \(loops)")
    }

    @Test func killNineThenRerunWorks() async throws {
        guard TestEnvironment.require(root: true, tools: ["mke2fs", "e2fsck", "sfdisk"]) else { return }
        let dir = try TemporaryDirectory()
        let source = try await Self.bigSource(dir)
        let target = dir.file("kvm.img")
        await Self.dropCaches()

        let killed = try await runXen2KVM(
            ["convert", "--no-fix", source, target], signal: SIGKILL, when: "copying used blocks",
            throttle: Self.slowReads(of: source))
        #expect(killed.status == 128 + SIGKILL)
        // A killed run cannot clean up; what it leaves has no partition table, so it never
        // looks like a finished disk, and a re-run takes it as its target.
        if FileManager.default.fileExists(atPath: target) {
            let table = try await Command.run("sfdisk", ["--json", target])
            #expect(!table.stdout.contains("partitiontable"), "a killed run left a partition table")
        }
        let again = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, target])
        #expect(again.status == 0, "\(again.stderr)")
        let check = try await Command.run("e2fsck", ["-fn", "\(target)?offset=1048576"])
        #expect(check.status == 0, "\(check.stdout)")
    }
}
