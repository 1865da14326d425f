import Foundation
import TestSupport
import Testing

/// Ctrl-C and kill -9 in the middle of a copy: nothing is lost, nothing is left behind, and
/// a second run works.
@Suite(.serialized) struct ConvertInterruptTests {
    /// A source with ~160 MiB of random data: read through `throttle`, its copy takes ~10 s.
    static func bigSource(_ dir: TemporaryDirectory) async throws -> String {
        try await source(dir, randomMiB: 160, size: "256M")
    }

    /// An ext4 image of `size` holding a guest's /etc and `randomMiB` of random data.
    static func source(_ dir: TemporaryDirectory, randomMiB: Int, size: String) async throws -> String {
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: "\(tree)/data", withIntermediateDirectories: true)
        try await Command.check(
            "sh",
            [
                "-c",
                "head -c \(randomMiB)M /dev/urandom > \(tree)/data/blob && cp -r \(Fixtures.tree("centos6"))/etc \(tree)/",
            ])
        let image = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: image, size: size)
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

    @Test(.requires(root: true, tools: ["mke2fs", "e2fsck"]), arguments: [SIGINT, SIGTERM])
    func signalMidCopyStopsCleanly(signal: Int32) async throws {
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
    @Test(.requires(root: true, tools: ["mke2fs", "qemu-system-x86_64"]))
    func aVMCannotStartOnATargetBeingWritten() async throws {
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
    @Test(.requires(root: true, tools: ["mke2fs", "rsync", "losetup"]))
    func signalDuringRsyncReleasesMountsAndLoops() async throws {
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

    /// What each method's kill -9 test converts, where it kills and the command it runs.
    struct KillCase {
        var source: String
        var target: String
        var arguments: [String]
        /// The line after which the kill lands, within `window`.
        var trigger: String
        var window: Duration
        /// Whether the run creates the target (then the next run removes a half-made one).
        var createsTarget: Bool
        var checksFilesystem: Bool
    }

    static func killCase(_ method: String, in dir: TemporaryDirectory) async throws -> KillCase {
        let target = dir.file("kvm.img")
        // --force: a kill that lands once the copy is done leaves a finished disk to overwrite.
        var arguments = ["convert", "--no-fix", "--force", "--method", method]
        switch method {
        case "swap":
            let source = dir.file("xen-swap.img")
            try await Command.check("truncate", ["-s", "64M", source])
            try await Command.check("mkswap", ["-q", source])
            // Nothing to throttle: the run is short, the kill lands anywhere in it (or after).
            return KillCase(
                source: source, target: target, arguments: arguments + [source, target],
                trigger: "making a swap area", window: .milliseconds(40), createsTarget: true,
                checksFilesystem: false)
        case "resize":
            let source = try await smallSource(dir)
            // The source's own size: too small for filesystem plus partition start.
            try await Command.check("truncate", ["-s", "64M", target])
            arguments += ["--temp-dir", dir.path]
            return KillCase(
                source: source, target: target, arguments: arguments + [source, target],
                trigger: "copying used blocks to a scratch copy", window: .seconds(3), createsTarget: false,
                checksFilesystem: true)
        default:
            let source = try await smallSource(dir)
            return KillCase(
                source: source, target: target, arguments: arguments + [source, target],
                trigger: method == "rsync" ? "copying files with rsync" : "copying used blocks",
                window: .milliseconds(1500), createsTarget: true, checksFilesystem: true)
        }
    }

    /// A 64 MiB source with 24 MiB of random data: ~3 s to copy through `slowReads(of:rate:)`.
    static func smallSource(_ dir: TemporaryDirectory) async throws -> String {
        try await source(dir, randomMiB: 24, size: "64M")
    }

    /// kill -9 at a random point (seeded, printed) after each method has started its work:
    /// whatever ran under xen2kvm (rsync and its forks, e2fsck, resize2fs, mkswap, losetup)
    /// dies with it at once, and the next run of the same command releases everything the
    /// killed one held (loop devices, mounts, the scratch file, a target it created but did
    /// not finish) and succeeds.
    @Test(arguments: ["blocks", "resize", "rsync", "swap"])
    func killNineThenRerunWorks(method: String) async throws {
        let tools = ["mke2fs", "e2fsck", "resize2fs", "rsync", "losetup", "mkswap", "sfdisk", "setpriv", "unshare"]
        guard TestEnvironment.require(root: true, tools: tools) else { return }
        let dir = try TemporaryDirectory()
        let run = try await Self.killCase(method, in: dir)
        let point = KillPoint()
        var killed: KilledRun?
        // A short run may finish before the kill: try other points until one lands.
        for attempt in 0..<10 {
            // What a run that finished before the kill made is not what this test is about.
            if run.createsTarget { try? FileManager.default.removeItem(atPath: run.target) }
            await Self.dropCaches()
            let throttle = ReadThrottle(file: run.source, bytesPerSecond: 8 << 20)
            let tried = try await killXen2KVM(
                run.arguments, when: run.trigger, after: point.delay("\(method)-\(attempt)", upTo: run.window),
                watching: dir.path, throttle: throttle)
            #expect(tried.landed || tried.result.status == 0, "\(tried.result.stderr)")
            if tried.landed {
                killed = tried
                break
            }
        }
        let kill = try #require(killed, "no kill landed on a running convert")
        let survivors = try await kill.survivors()
        #expect(survivors.isEmpty, "outlived the killed xen2kvm: \(survivors)")
        // The table is written last: a target without one was killed before it was finished.
        let table = try await Command.run("sfdisk", ["--json", run.target])
        let finished = table.stdout.contains("partitiontable")
        // Killed mid-copy (its window is within the copy): what is there never looks finished.
        #expect(method != "blocks" || !finished, "a killed run left a partition table")

        let again = try await Xen2KVMBinary.run(run.arguments + ["--json"])
        #expect(again.status == 0, "\(again.stderr)")
        if run.createsTarget && !finished {
            // The killed run's half-made target was gone before this run planned its own.
            #expect(again.stdout.contains(#""kind" : "new file""#), "\(again.stdout)")
        }
        let left = try kill.leftovers()
        #expect(left.isEmpty, "left behind: \(left)")
        let loops = try await loopLeftovers(matching: dir.path)
        #expect(loops.isEmpty, "loop devices left: \(loops)")
        let scratch = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
            $0.hasPrefix("xen2kvm-shrink")
        }
        #expect(scratch.isEmpty, "scratch files left: \(scratch)")
        if run.checksFilesystem {
            let check = try await Command.run("e2fsck", ["-fn", "\(run.target)?offset=1048576"])
            #expect(check.status == 0, "\(check.stdout)")
        }
    }
}
