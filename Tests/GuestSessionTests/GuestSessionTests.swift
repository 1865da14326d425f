import Conversion
import Foundation
import GuestSession
import Synchronization
import TestSupport
import Testing

/// A guest session takes a loop device, partitions and mounts, shows guest programs the
/// disk under its KVM names, and gives everything back — also after a kill -9.
@Suite(.serialized) struct GuestSessionTests {
    /// A converted Debian fixture disk with a static busybox in it, so programs can run (and,
    /// with `shell`, as /bin/sh too, for guest helper scripts).
    static func convertedDisk(_ dir: TemporaryDirectory, shell: Bool = false) async throws -> String {
        let source = try await sourceImage(dir, shell: shell)
        let disk = dir.file("kvm.img")
        var options = ConvertOptions(source: source, target: disk)
        options.table = .gpt
        _ = try await Converter.run(try Planner.plan(options), progress: SilentProgress())
        return disk
    }

    /// The bare (Xen) image `convertedDisk` converts.
    static func sourceImage(_ dir: TemporaryDirectory, shell: Bool) async throws -> String {
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree("debian12-grub2"), toPath: tree)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: "\(tree)/usr/bin/busybox")
        if shell {
            // The fixture's /bin/sh (usr/bin/sh) is a stand-in script that runs nothing.
            try? FileManager.default.removeItem(atPath: "\(tree)/usr/bin/sh")
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: "\(tree)/usr/bin/sh")
            try FileManager.default.createDirectory(atPath: "\(tree)/tmp", withIntermediateDirectories: true)
        }
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: source, size: "64M")
        return source
    }

    static func settledLeftovers(_ disk: String) async throws -> String {
        try await loopLeftovers(matching: disk)
    }

    /// This disk's loop devices now (only this disk's: other tests' sessions may be open).
    static func leftovers(_ disk: String) async throws -> String {
        try await Command.check("losetup", ["-a"]).stdout.split(separator: "\n").filter { $0.contains(disk) }
            .joined(separator: "\n")
    }

    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox"]))
    func opensMountsAndReleasesEverything() async throws {
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

    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox", "unshare"]))
    func programsSeeKVMNamesNoNetworkAndTheirOwnPIDs() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let session = try await GuestSession.open(disk, readOnly: false)
        defer { session.close() }
        let run = try await session.run(
            "/usr/bin/busybox",
            ["sh", "-c", "ls /dev; echo by-uuid: $(ls /dev/disk/by-uuid); echo net: $(ls /sys/class/net); echo pid=$$"])
        #expect(run.exitStatus == 0)
        for name in ["vda", "vda1", "vda2", "null", "urandom", "pts"] {
            #expect(run.output.split(separator: "\n").contains { $0 == name }, "no /dev/\(name): \(run.output)")
        }
        #expect(!run.output.contains("loop"), "a host device name leaked: \(run.output)")
        #expect(run.output.contains("by-uuid: "))
        #expect(run.output.contains("net: lo\n") || run.output.hasSuffix("net: lo"), "\(run.output)")
        // pid 1 is the sandbox's init, which started the program first.
        #expect(run.output.contains("pid=2"), "\(run.output)")

        await #expect(throws: GuestSessionError.self) {
            try await session.run("/usr/bin/busybox", ["sh", "-c", "echo going wrong; exit 3"])
        }
    }

    /// kill -9 at a random point (seeded, printed) of a fix whose guest helper takes long: the
    /// helper, its unshare and its whole pid namespace die with xen2kvm at once; the next run
    /// releases the session it left (loop device, mounts) and succeeds.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox", "setpriv", "unshare"]))
    func aKilledRunIsCleanedUpByTheNext() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir, shell: true)
        let helper = dir.file("slow-helper")
        try "exec /usr/bin/busybox sleep 120\n".write(toFile: helper, atomically: true, encoding: .utf8)
        let command = ["fix", "--verbose", "--profile", helper, disk]
        let killed = try await killXen2KVM(
            command, when: "fixing the guest on", after: KillPoint().delay("fix", upTo: .seconds(2)),
            watching: dir.path)
        #expect(killed.landed, "\(killed.result.stderr)")
        let survivors = try await killed.survivors()
        #expect(survivors.isEmpty, "outlived the killed xen2kvm: \(survivors)")
        // Its session (the disk attached and mounted) stays for the next run: this test's, or
        // another test's run started meanwhile (any run releases what dead runs left).
        try "exit 0\n".write(toFile: helper, atomically: true, encoding: .utf8)
        let again = try await Xen2KVMBinary.run(command)
        #expect(again.status == 0, "\(again.stderr)")
        let after = try await Self.settledLeftovers(disk)
        #expect(after.isEmpty, "left behind: \(after)")
        let records = try killed.leftovers()
        #expect(records.isEmpty, "left behind: \(records)")
    }

    /// A dead run's record names a loop device that was since detached and attached to another
    /// file by someone else: cleaning up must leave that device alone.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func aReusedLoopDeviceIsNotTakenFromItsNewOwner() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let theirs = dir.file("someone-else.img")
        try await Command.check("truncate", ["-s", "8M", theirs])
        try await withLoopDevice(theirs) { loop in
            // pid 2147483647 never runs; the recorded identity is not the file behind `loop`.
            let stale = "\(GuestSession.stateDirectory)/2147483647-0"
            try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
            // As an earlier xen2kvm wrote it (a host upgraded meanwhile is cleaned up the same).
            try "\(loop)\n1 1\n".write(toFile: "\(stale)/loop", atomically: false, encoding: .utf8)

            let fix = try await Xen2KVMBinary.run(["fix", "--edits-only", disk])
            #expect(fix.status == 0, "\(fix.stderr)")
            #expect(!FileManager.default.fileExists(atPath: stale), "the stale record was not cleaned up")
            let still = try await Command.check("losetup", ["-a"]).stdout
            #expect(still.contains(theirs), "the cleanup detached a loop device that backs another file")
        }
    }

    /// SIGTERM sent to xen2kvm alone (an orchestrator stopping it, `timeout`), while a guest
    /// program runs: the program is stopped at once rather than waited for, nothing of it keeps
    /// running, and the run exits 130 with its session released. `convert` says the copy is
    /// there but not fixed, and how to finish it.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox", "pgrep"]), arguments: ["fix", "convert"])
    func aStopReachesTheGuestProgram(command: String) async throws {
        let dir = try TemporaryDirectory()
        let disk = command == "fix" ? try await Self.convertedDisk(dir, shell: true) : dir.file("kvm.img")
        let source = command == "fix" ? nil : try await Self.sourceImage(dir, shell: true)
        // A guest helper that says it started (a file in the guest's /tmp) and then takes long
        // (long enough to tell a prompt stop from a wait, short enough not to hang a broken run).
        let helper = dir.file("slow-helper")
        let marker = "xen2kvm-slow-helper-\(getpid())"
        try "touch /tmp/\(marker)\nexec /usr/bin/busybox sleep 120\n".write(
            toFile: helper, atomically: true, encoding: .utf8)
        let started = Mutex<ContinuousClock.Instant?>(nil)
        let stopped = try await runXen2KVM(
            [command, "--verbose", "--profile", helper] + [source, disk].compactMap { $0 }, signal: SIGTERM,
            when: "fixing the guest on"
        ) {
            for _ in 0..<300 {
                let sessions = (try? FileManager.default.contentsOfDirectory(atPath: "/run/xen2kvm")) ?? []
                if sessions.contains(where: {
                    FileManager.default.fileExists(atPath: "/run/xen2kvm/\($0)/root/tmp/\(marker)")
                }) {
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            started.withLock { $0 = .now }
        }
        let seconds = started.withLock { $0 }.map { (ContinuousClock.now - $0).components.seconds } ?? -1
        #expect(stopped.status == 130, "\(stopped.stderr)")
        #expect((0..<20).contains(seconds), "the stop took \(seconds) s: the guest program was waited for")
        let running = try await Command.run("pgrep", ["-f", "busybox sleep 120"])
        #expect(running.stdout.isEmpty, "the guest program outlived the run: \(running.stdout)")
        #expect(try await Self.settledLeftovers(disk).isEmpty)
        if command == "convert" {
            #expect(stopped.stderr.contains("xen2kvm fix \(disk)"), "\(stopped.stderr)")
            #expect(FileManager.default.fileExists(atPath: disk), "the copy is gone, and with it the way to finish")
        }
    }

    /// fix mounts the guest's filesystem read-write: never while something else has it. A
    /// second fix of the same disk (a fleet script started twice) and a disk a running VM's QEMU
    /// has locked are refused (exit 2) before anything is attached; the first run is unharmed,
    /// and while it works, a VM cannot be started on its disk.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox", "qemu-system-x86_64"]))
    func aDiskInUseIsNotFixed() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let first = try await runXen2KVM(
            ["fix", "--edits-only", disk], signal: SIGTERM, when: "session open",
            environment: ["XEN2KVM_TEST_PAUSE_IN_SESSION": "1"]
        ) {
            let second = try await Xen2KVMBinary.run(["fix", "--edits-only", disk])
            #expect(second.status == 2, "\(second.stderr)")
            #expect(second.stderr.contains("refused: another xen2kvm is working on \(disk)"), "\(second.stderr)")
            #expect(
                try await Self.leftovers(disk).split(separator: "\n").count == 1, "the second run attached the disk")
            let vm = try await startVM(on: disk)
            #expect(vm.status == 1 && vm.stderr.contains("Failed to lock"), "a VM started on a disk being fixed: \(vm)")
        }
        #expect(first.status == 130, "\(first.stderr)")
        #expect(try await Self.settledLeftovers(disk).isEmpty)

        let lock = try QEMUImageLock(disk)
        let locked = try await Xen2KVMBinary.run(["fix", "--edits-only", disk])
        #expect(locked.status == 2, "\(locked.stderr)")
        #expect(locked.stderr.contains("QEMU locks the disks of running VMs"), "\(locked.stderr)")
        lock.release()
        let free = try await Xen2KVMBinary.run(["fix", "--edits-only", disk])
        #expect(free.status == 0, "\(free.stderr)")
        #expect(try await Self.settledLeftovers(disk).isEmpty)
    }

    /// Conversions of a fleet run side by side: a run that starts while another's session is
    /// open (its disk attached and mounted, its lock held) cleans up only dead sessions and
    /// leaves the live one alone; the live one then stops on SIGTERM (exit 130) and releases
    /// its own.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox"]))
    func anotherRunLeavesALiveSessionAlone() async throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        let live = try await Self.convertedDisk(first)
        let other = try await Self.convertedDisk(second)
        let stopped = try await runXen2KVM(
            ["fix", "--edits-only", live], signal: SIGTERM, when: "session open",
            environment: ["XEN2KVM_TEST_PAUSE_IN_SESSION": "1"]
        ) {
            let run = try await Xen2KVMBinary.run(["fix", "--edits-only", other])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try await Self.settledLeftovers(other).isEmpty)
            let held = try await Self.leftovers(live)
            #expect(!held.isEmpty, "the other run released a live session's loop device")
            let device = String(held.prefix { $0 != ":" })
            let mounts = try String(contentsOfFile: "/proc/mounts", encoding: .utf8)
            #expect(mounts.contains("\(device)p1 "), "the other run unmounted a live session: \(mounts)")
        }
        #expect(stopped.status == 130, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("interrupted"), "\(stopped.stderr)")
        #expect(try await Self.settledLeftovers(live).isEmpty)
    }

    /// The kernel keeps the partitions of a loop device detached while they were in use; the
    /// next session that gets the device must not mount an earlier user's partition 1.
    /// The session must get the very device the stale partition is on: other tests take loop
    /// devices too, so the run's log says which one it got, and the test tries again when
    /// another was free first (a run that never got it fails: it proved nothing).
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "addpart"]))
    func staleLoopPartitionsAreReplaced() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let other = dir.file("earlier-user.img")
        try await Command.check("truncate", ["-s", "64M", other])
        let log = dir.file("fix.log")
        for _ in 0..<8 {
            let loop = try await Command.check("losetup", ["--find", "--show", other]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            // Partition 1 at sector 32, where no filesystem of `disk` starts (replacing what an
            // earlier try left on this device).
            _ = try? await Command.run("delpart", [loop, "1"])
            try await Command.check("addpart", [loop, "1", "32", "60000"])
            try await Command.check("losetup", ["--detach", loop])

            try? FileManager.default.removeItem(atPath: log)
            let fix = try await Xen2KVMBinary.run(["fix", "--edits-only", "--log", log, disk])
            #expect(fix.status == 0, "\(fix.stderr)")
            #expect(try await Self.settledLeftovers(disk).isEmpty)
            let record = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            guard record.contains("fixing the guest on \(disk) (\(loop))") else {
                _ = try? await Command.run("delpart", [loop, "1"])
                continue
            }
            let name = loop.split(separator: "/").last.map(String.init) ?? loop
            let left = try await Command.run("cat", ["/sys/block/\(name)/\(name)p1/start"])
            #expect(
                left.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != "32",
                "the stale partition is still there")
            return
        }
        Issue.record("the session never got the loop device with the stale partition (other tests took it first)")
    }

    /// While a guest program runs, a filesystem mounted elsewhere on the host (another
    /// conversion's) can still be unmounted and its loop device released at once: the program's
    /// mount namespace lets go of the host's other mounts.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox", "unshare"]))
    func guestProgramsDoNotPinOtherMounts() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let other = dir.file("other.img")
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", other, "16M"])
        let point = dir.file("other")
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        let loop = try await Command.check("losetup", ["--find", "--show", other]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try await Command.check("mount", [loop, point])

        let session = try await GuestSession.open(disk, readOnly: false)
        defer { session.close() }
        // Another conversion finishes while the program runs; well before the program ends,
        // its device is gone (a pinned one would wait for its last user).
        let release = Task {
            try await Task.sleep(for: .seconds(1))
            try await Command.check("umount", [point])
            try await Command.check("losetup", ["--detach", loop])
            for _ in 0..<20 {
                try await Task.sleep(for: .milliseconds(100))
                if !(try await Command.check("losetup", ["-a"]).stdout.contains(other)) { return true }
            }
            return false
        }
        _ = try await session.run("/usr/bin/busybox", ["sleep", "6"])
        #expect(try await release.value, "the guest program's namespace kept \(other) busy")
    }

    /// A session is alive while it holds its lock, whatever its pid looks like from here (in
    /// another pid namespace it may look dead): a later run leaves it alone, and cleans it up
    /// once the lock is gone.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func aLockedSessionIsNeverCleanedUp() async throws {
        let dir = try TemporaryDirectory()
        let disk = try await Self.convertedDisk(dir)
        let other = "\(GuestSession.stateDirectory)/2147483647-7"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let lock = open("\(other)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)

        let first = try await Xen2KVMBinary.run(["fix", "--edits-only", disk])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: other), "a live (locked) session was cleaned up")

        close(lock)
        let second = try await Xen2KVMBinary.run(["fix", "--edits-only", disk])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other), "a dead session's record stayed")
    }
}
