import ExtFS
import HostSystem
import Subprocess

#if canImport(Glibc)
    import Glibc
#endif

/// The rsync method: a new filesystem with the source's identity (UUID, label, block and
/// inode size, features) in partition 1, then every file copied with all its properties.
enum RsyncCopy {
    /// Features mke2fs cannot be asked for; they describe state, not format.
    static let stateFeatures: Set<String> = ["needs_recovery", "journal_dev", "orphan_present", "snapshot_bitmap"]

    /// `facts`: the source filesystem's, read by the image parser.
    static func run(_ plan: ConversionPlan, facts: FilesystemFacts, progress: any ProgressReporter)
        async throws(ConversionError)
    {
        guard let layout = plan.layout else { throw .failed("the rsync method needs a layout") }
        let mounts = LoopMounts()
        defer {
            let leftovers = mounts.release()
            if !leftovers.isEmpty { progress.note("could not release: \(leftovers.joined(separator: ", "))") }
        }
        let targetDevice = try await Host.attach(
            mounts,
            plan.target.path, offset: layout.partitionOffsetBytes, length: layout.partitionBytes, readOnly: false)
        progress.note("making an \(facts.type) filesystem with the source's UUID, label and features")
        let blocks = layout.partitionBytes / UInt64(facts.blockSize)
        let made = try await Host.run(
            "mke2fs", mkfsArguments(facts, device: targetDevice, blocks: blocks), package: "e2fsprogs")
        guard made.status == 0 else { throw .failed("mke2fs failed (exit \(made.status)):\n\(made.tail)") }

        let sourceDevice = try await Host.attach(mounts, plan.source.path, readOnly: true)
        // noload: never replay the journal, which would write to the source.
        let sourceOptions = facts.hasJournal ? "ro,noload" : "ro"
        let from = try await Host.mount(mounts, sourceDevice, options: sourceOptions, label: "source")
        let to = try await Host.mount(mounts, targetDevice, options: "rw", label: "target")

        progress.begin(step: "copying files with rsync", total: plan.bytesToCopy)
        try await rsync(from: from, to: to, progress: progress)
        // Unmounting (in release) writes everything back before fsck reads the device.
    }

    static func mkfsArguments(_ facts: FilesystemFacts, device: String, blocks: UInt64) -> [String] {
        let features = facts.features.filter { !stateFeatures.contains($0) }
        // Keep the source's bytes-per-inode ratio, so a smaller or larger partition gets a
        // proportional number of inodes.
        let ratio = max(facts.sizeBytes / UInt64(max(facts.inodeCount, 1)), UInt64(facts.blockSize))
        var arguments = [
            "-F", "-q", "-t", facts.type, "-b", "\(facts.blockSize)", "-I", "\(facts.inodeSize)", "-i", "\(ratio)",
            "-U", facts.uuid, "-O", (["none"] + features).joined(separator: ","), "-E", "nodiscard",
        ]
        if !facts.label.isEmpty { arguments += ["-L", facts.label] }
        return arguments + [device, "\(blocks)"]
    }

    /// rsync with everything a guest needs: numeric owners, hard links, ACLs, xattrs (incl.
    /// security.selinux), devices, sparse files. Killed on SIGINT/SIGTERM.
    static func rsync(from source: String, to target: String, progress: any ProgressReporter)
        async throws(ConversionError)
    {
        let arguments = [
            "-aHAXS", "--numeric-ids", "--exclude=/lost+found", "--info=progress2", "--no-inc-recursive",
            "\(source)/", "\(target)/",
        ]
        let status: Int32
        let tail: String
        let started = ContinuousClock.now
        // rsync forks a receiver and a generator: one signal to the group stops all three and
        // the target mount is free again. In a pid namespace of their own they also die with
        // the rsync unshare starts, which dies with xen2kvm (HostChild), kill -9 included.
        do {
            let rsync = try HostChild.resolve("rsync", path: "/usr/bin:/bin")
            let result = try await StoppableCommand.run(
                "/usr/bin/unshare", ["--pid", "--fork", "--kill-child", rsync] + arguments,
                environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], inherit: true, stopSignal: .terminate,
                keepingLines: 2000
            ) { line in
                if let bytes = progressBytes(line) { progress.advance(done: bytes) }
            }
            status = result.status
            tail = result.lines.filter { progressBytes($0) == nil }.joined(separator: "\n")
            Log.command(
                "rsync", arguments, status: status, seconds: (ContinuousClock.now - started).inSeconds, output: tail)
        } catch {
            throw .failed("cannot run rsync (Debian package rsync): \(error)")
        }
        try Host.stopIfInterrupted("rsync")
        guard status == 0 else {
            throw .failed(
                "rsync failed (exit \(status)):\n\(tail.split(separator: "\n").suffix(12).joined(separator: "\n"))")
        }
    }

    /// "  1,234,567  45%  12.3MB/s  0:00:01 (xfr#…" → 1234567.
    static func progressBytes(_ line: String) -> UInt64? {
        let last = line.split(separator: "\r").last ?? Substring(line)
        guard let first = last.split(separator: " ").first else { return nil }
        return UInt64(first.filter { $0 != "," })
    }
}
