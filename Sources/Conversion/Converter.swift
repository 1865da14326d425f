import ExtFS
import HostSystem
import PartitionTable
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished conversion did, for the summary and `--json`.
public struct ConversionResult: Sendable, Codable {
    public var method: CopyMethod
    public var layout: DiskLayout?
    public var identity: TableIdentity?
    /// Bytes read from the source.
    public var bytesCopied: UInt64
    /// Bytes written to the target (zero chunks of a new sparse target are skipped).
    public var bytesWritten: UInt64
    /// Bytes the target shares with the source by reflink, neither read nor written (XFS, btrfs).
    public var bytesShared: UInt64
    public var seconds: Double
    public var bytesPerSecond: Double
    public var repair: FilesystemCheck.Outcome?
    public var fsck: FilesystemCheck.Outcome?
}

/// Carries out a plan: prepare the target, copy, sync, check the copy, and write the
/// partition table last, so an interrupted run never leaves a disk that looks complete.
public enum Converter {
    /// `parser` reads what the copy needs from the source (the used-block runs, the rsync
    /// method's filesystem facts): the CLI's reads in its contained child.
    public static func run(
        _ plan: ConversionPlan, progress reporter: any ProgressReporter, parser: ImageParser = .inProcess
    ) async throws(ConversionError) -> ConversionResult {
        if let refusal = plan.refusal { throw .refused(refusal.detail) }
        let progress = LoggedProgress(inner: reporter)
        logStart(plan)
        let started = ContinuousClock.now
        let target = try TargetFile.open(plan)
        var finished = false
        defer {
            target.close()
            target.settle(finished: finished)
        }
        let source: FileDescriptor
        do {
            source = try FileDescriptor.open(FilePath(plan.source.path), .readOnly, options: [.closeOnExec])
        } catch {
            throw .failed("cannot open the source \(plan.source.path) read-only: \(error)")
        }
        defer { try? source.close() }
        posix_fadvise(source.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)
        TraceTiming.mark("open source and target")

        if !plan.target.created && plan.target.existingBytes > 0 { try target.wipeTableAreas(plan) }

        // O_DIRECT only into a device: measured here, it beat buffered writes into a loop
        // device by ~25 %, while into a new file buffered writes (delayed allocation, writeback
        // started as they go) were as fast or faster.
        let intoDevice = plan.target.kind == "block device"
        var copier = RangeCopier(
            source: source, target: target.fd, tryKernelCopy: !target.isNew, progress: progress,
            directWrites: intoDevice)
        var scratch: ScratchCopy?
        defer { scratch?.remove() }
        switch plan.method {
        case .blocks where plan.repairCopy:
            // The bitmaps of a filesystem to repair are not to be trusted (a journal not
            // replayed, blocks an inode uses marked free): every block goes, as it is, and
            // e2fsck repairs the copy exactly as it would repair the source.
            progress.begin(step: "copying every block of the filesystem", total: plan.bytesToCopy)
            try copyAsItIs(
                source, plan.source, bytes: plan.source.filesystemBytes!, to: plan.layout!.partitionOffsetBytes,
                copier: copier, skipZeros: target.isNew)
        case .blocks:
            let runs = try await parser.copyRuns(plan.source.path).get()
            progress.begin(step: "copying used blocks", total: plan.bytesToCopy)
            try copyUsedBlocks(runs, to: plan.layout!.partitionOffsetBytes, copier: copier, skipZeros: target.isNew)
        case .resize:
            let made = try await shrunkenCopy(plan, source: source, progress: progress, parser: parser)
            scratch = made.scratch
            defer { try? made.reader.close() }
            // The summary counts what reached the target: the shrunken filesystem's blocks.
            copier = RangeCopier(
                source: made.reader, target: target.fd, tryKernelCopy: false, progress: progress,
                directWrites: intoDevice)
            progress.begin(step: "copying the shrunken filesystem", total: made.usedBytes)
            try copyUsedBlocks(
                made.runs, to: plan.layout!.partitionOffsetBytes, copier: copier, skipZeros: target.isNew)
        case .wrap:
            progress.begin(step: "copying the whole filesystem", total: plan.bytesToCopy)
            try copyAsItIs(
                source, plan.source, bytes: plan.source.filesystemBytes!, to: plan.layout!.partitionOffsetBytes,
                copier: copier, skipZeros: target.isNew)
        case .rsync:
            // Files, not blocks: the loop device and mounts see the target by path.
            target.close()
            try await RsyncCopy.run(plan, facts: try await parser.facts(plan.source.path).get(), progress: progress)
        case .clone:
            progress.begin(step: "cloning", total: plan.bytesToCopy)
            try copyAsItIs(
                source, plan.source, bytes: plan.source.sizeBytes, to: 0, copier: copier, skipZeros: target.isNew)
        case .swap:
            progress.note("making a swap area in partition 1")
            try target.sync("before mkswap")
            try await SwapArea.create(plan)
        case .auto:
            fatalError("the planner resolves auto")
        }
        progress.end()
        copier.finish()
        TraceTiming.mark("copy")
        try target.sync("after the copy")
        TraceTiming.mark("fsync target")
        target.close()
        scratch?.remove()

        var repair: FilesystemCheck.Outcome?
        var fsck: FilesystemCheck.Outcome?
        if let layout = plan.layout, plan.method == .swap {
            try SwapArea.verify(plan)
            try Host.stopIfInterrupted("the swap area")
            progress.note("writing the \(layout.table) partition table")
            try writeTable(plan, layout: layout)
        } else if let layout = plan.layout {
            try Host.stopIfInterrupted("the filesystem check")
            (repair, fsck) = try await checkCopy(plan, layout: layout, progress: progress)
            TraceTiming.mark("e2fsck -fn")
            try Host.stopIfInterrupted("the filesystem check")
            progress.note("writing the \(layout.table) partition table")
            try writeTable(plan, layout: layout)
        }
        TraceTiming.mark("partition table written and synced")
        try verifyTable(plan)
        TraceTiming.mark("partition table read back")
        finished = true
        let seconds = max((ContinuousClock.now - started).inSeconds, 0.000_001)
        // rsync copies files, not through the copier: count the source's used bytes.
        let copied = plan.method == .rsync ? plan.bytesToCopy : copier.bytesDone
        let written = plan.method == .rsync ? plan.bytesToCopy : copier.bytesWritten
        let result = ConversionResult(
            method: plan.method, layout: plan.layout, identity: plan.identity, bytesCopied: copied,
            bytesWritten: written, bytesShared: plan.method == .rsync ? 0 : copier.bytesShared, seconds: seconds,
            bytesPerSecond: Double(copied) / seconds,
            repair: repair, fsck: fsck)
        Log.info(
            "converted: \(copied) bytes read, \(written) written, \(result.bytesShared) shared, in "
                + "\((seconds * 100).rounded() / 100) s; e2fsck -fn \(fsck.map { $0.clean ? "clean" : "not clean" } ?? "not run")"
        )
        return result
    }

    /// What is about to happen, in the log: enough to tell later which disk became which.
    private static func logStart(_ plan: ConversionPlan) {
        let source = plan.source
        Log.info(
            "converting \(source.path) (\(source.kind.rawValue), \(source.sizeBytes) bytes, \(source.holds)) to \(plan.target.path) (\(plan.target.kind), "
                + "\(plan.target.sizeBytes) bytes)")
        Log.info("method \(plan.method.rawValue): \(plan.methodReason)")
        if let layout = plan.layout {
            Log.info(
                "layout \(layout.table), partition 1 at sector \(layout.partitionStart), "
                    + "\(layout.partitionBytes / 512) sectors; disk \(layout.diskSectors) sectors")
        }
        for check in plan.checks { Log.debug("check \(check.passed ? "ok" : "FAIL") \(check.name): \(check.detail)") }
    }

    /// The used blocks of a filesystem (`runs`, read from the source or the resize method's
    /// scratch copy) land at the same offset inside partition 1. Its bitmaps and unused-inode
    /// counts are believed, but its own structure (superblocks, descriptors, bitmaps, inode
    /// tables) is copied whatever the bitmaps say.
    static func copyUsedBlocks(_ found: CopyRuns, to offset: UInt64, copier: RangeCopier, skipZeros: Bool)
        throws(ConversionError)
    {
        let blockSize = found.blockSize
        // Inode-table blocks no inode uses and a clean journal's log are not read: a target
        // that reads as zeros needs nothing there; any other target has them zeroed (no data
        // moved where it can do that), or copied where it cannot.
        var runs = found.needed
        if !skipZeros && !found.unneeded.isEmpty {
            let ranges = found.unneeded.map {
                offset + $0.lowerBound * blockSize..<offset + $0.upperBound * blockSize
            }
            if !copier.zeroTarget(ranges) { runs = found.used }
        }
        TraceTiming.mark("used-block runs read (\(runs.count) runs)")
        let segments = runs.map { run in
            RangeCopier.Segment(
                source: run.lowerBound * blockSize, target: offset + run.lowerBound * blockSize,
                length: UInt64(run.count) * blockSize)
        }
        try copier.copyAll(segments, skipZeros: skipZeros)
    }

    /// The filesystem in partition 1, before the table makes the disk look finished: repaired
    /// first with --repair-copy (the resize method repaired its scratch copy already), then
    /// checked; a copy that is not clean fails the run.
    static func checkCopy(_ plan: ConversionPlan, layout: DiskLayout, progress: any ProgressReporter)
        async throws(ConversionError) -> (repair: FilesystemCheck.Outcome?, fsck: FilesystemCheck.Outcome)
    {
        let partition = FilesystemCheck.Place(
            path: plan.target.path, offset: layout.partitionOffsetBytes, length: layout.partitionBytes)
        if plan.method == .wrap {
            progress.note("checking the copy with xfs_repair -n")
            return (nil, try await FilesystemCheck.checkXFS(partition))
        }
        var repair: FilesystemCheck.Outcome?
        if plan.repairCopy && plan.method != .resize {
            progress.note("repairing the copy with e2fsck -fy")
            repair = try await FilesystemCheck.repair(partition, what: "the copy")
        }
        progress.note("checking the copy with e2fsck -fn")
        let check = try await FilesystemCheck.check(partition)
        guard check.clean else { throw .failed(damagedCopyMessage(plan, check: check)) }
        return (repair, check)
    }

    /// What a failed check of a copy made from the bitmaps means. A clean-marked source whose
    /// copy is damaged has damaged metadata itself (a stale or misplaced bitmap); copying every
    /// block and repairing the copy is the way through, never a repair of the source.
    static func damagedCopyMessage(_ plan: ConversionPlan, check: FilesystemCheck.Outcome) -> String {
        let advice =
            plan.repairCopy
            ? "the repaired copy still has problems: the source is too damaged to convert as it is; keep it, and ask "
                + "e2fsck (on another copy) what it cannot repair"
            : "the source is marked clean, but its own metadata is damaged (check it with `e2fsck -fn "
                + "\(plan.source.path)`): convert again with --repair-copy, which copies every block and repairs the "
                + "copy (never the source)"
        return "e2fsck -fn found problems in the copy (exit \(check.exitStatus)): \(advice). The partition table was "
            + "not written:\n\(check.output)"
    }

    /// The resize method's first half: used blocks into a sparse scratch file, repaired and
    /// shrunk there. Returns the scratch file opened for reading, and its used bytes.
    static func shrunkenCopy(
        _ plan: ConversionPlan, source: FileDescriptor, progress: any ProgressReporter, parser: ImageParser
    ) async throws(ConversionError) -> (scratch: ScratchCopy, reader: FileDescriptor, runs: CopyRuns, usedBytes: UInt64)
    {
        guard let directory = plan.temporaryDirectory, let newBytes = plan.resizeToBytes,
            let fsBytes = plan.source.filesystemBytes
        else { throw .failed("the plan lacks the resize parameters") }
        let (scratch, writer) = try ScratchCopy.create(in: directory, sizeBytes: fsBytes)
        do {
            defer { try? writer.close() }
            let toScratch = RangeCopier(
                source: source, target: writer, tryKernelCopy: false, progress: progress, directWrites: false)
            if plan.repairCopy {
                progress.begin(step: "copying every block of the filesystem to a scratch copy", total: plan.bytesToCopy)
                try copyAsItIs(source, plan.source, bytes: fsBytes, to: 0, copier: toScratch, skipZeros: true)
            } else {
                let runs = try await parser.copyRuns(plan.source.path).get()
                progress.begin(step: "copying used blocks to a scratch copy", total: plan.bytesToCopy)
                try copyUsedBlocks(runs, to: 0, copier: toScratch, skipZeros: true)
            }
            progress.end()
        } catch {
            scratch.remove()
            throw error
        }
        do {
            // The scratch copy is the source's blocks (all of them with --repair-copy, not
            // repaired yet): read by the parser as the source is.
            let blockSize = UInt64(try await parser.facts(scratch.path).get().blockSize)
            try await scratch.shrink(toBytes: newBytes, blockSize: blockSize, progress: progress)
            let runs = try await parser.copyRuns(scratch.path).get()
            let used = runs.needed.reduce(0) { $0 + UInt64($1.count) } * runs.blockSize
            let reader = try FileDescriptor.open(FilePath(scratch.path), .readOnly, options: [.closeOnExec])
            return (scratch, reader, runs, used)
        } catch let error as ConversionError {
            scratch.remove()
            throw error
        } catch {
            scratch.remove()
            throw .failed("reading the shrunken scratch copy: \(error)")
        }
    }

    /// The first `bytes` of the source, every byte that holds data, at `offset` in the target;
    /// holes stay holes in a new file.
    static func copyAsItIs(
        _ source: FileDescriptor, _ facts: ConversionPlan.Source, bytes: UInt64, to offset: UInt64,
        copier: RangeCopier, skipZeros: Bool
    ) throws(ConversionError) {
        // Holes may be skipped only where the target is known to be zero already.
        let regions =
            facts.kind == .file && skipZeros ? SparseRegions.dataRegions(of: source, size: bytes) : [0..<bytes]
        let segments = regions.map {
            RangeCopier.Segment(source: $0.lowerBound, target: offset + $0.lowerBound, length: UInt64($0.count))
        }
        try copier.copyAll(segments, skipZeros: skipZeros)
    }

    static func writeTable(_ plan: ConversionPlan, layout: DiskLayout) throws(ConversionError) {
        do {
            try PartitionTableWriter.write(layout, to: plan.target.path, identity: plan.identity ?? TableIdentity())
        } catch {
            throw .failed("writing the partition table: \(error.description)")
        }
    }

    /// Reads back what was written and compares it with the plan; any difference fails the run.
    static func verifyTable(_ plan: ConversionPlan) throws(ConversionError) {
        guard let layout = plan.layout else { return }
        do {
            guard let table = try PartitionTableReader.read(path: plan.target.path) else {
                throw ConversionError.failed("the partition table written to \(plan.target.path) cannot be read back")
            }
            let problems = table.verify(against: layout, identity: plan.identity)
            if !problems.isEmpty {
                throw ConversionError.failed(
                    "the partition table read back differs: \(problems.joined(separator: "; "))")
            }
        } catch let error as ConversionError {
            throw error
        } catch {
            throw .failed("reading back the partition table: \(error)")
        }
    }
}
