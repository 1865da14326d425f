import ExtFS
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
    public var seconds: Double
    public var bytesPerSecond: Double
    public var repair: FilesystemCheck.Outcome?
    public var fsck: FilesystemCheck.Outcome?
    /// Problems the partition table reader found in what was written (empty when right).
    public var tableProblems: [String]
}

/// Carries out a plan: prepare the target, copy, sync, check the copy, and write the
/// partition table last, so an interrupted run never leaves a disk that looks complete.
public enum Converter {
    public static func run(_ plan: ConversionPlan, progress: any ProgressReporter) async throws(ConversionError)
        -> ConversionResult
    {
        if let refusal = plan.refusal { throw .refused(refusal.detail) }
        let started = ContinuousClock.now
        let target = try TargetFile.open(plan)
        var finished = false
        defer {
            target.close()
            // A file convert made itself is removed unless the run finished: no half-made
            // disk is left behind to be mistaken for a good one.
            if !finished && plan.target.created { _ = unlink(plan.target.path) }
        }
        let source: FileDescriptor
        do {
            source = try FileDescriptor.open(FilePath(plan.source.path), .readOnly, options: [.closeOnExec])
        } catch {
            throw .failed("cannot open the source \(plan.source.path) read-only: \(error)")
        }
        defer { try? source.close() }
        posix_fadvise(source.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)

        if !plan.target.created && plan.target.existingBytes > 0 { try target.wipeTableAreas(plan) }

        let copier = RangeCopier(
            source: source, target: target.fd, tryKernelCopy: !target.isNew, progress: progress)
        progress.begin(step: "copying \(plan.method.rawValue)", total: plan.bytesToCopy)
        switch plan.method {
        case .blocks: try copyUsedBlocks(plan, copier: copier)
        case .clone: try copyWholeDisk(plan, source: source, copier: copier, skipZeros: target.isNew)
        case .auto: fatalError("the planner resolves auto")
        }
        progress.end()
        try target.sync("after the copy")
        target.close()

        var repair: FilesystemCheck.Outcome?
        var fsck: FilesystemCheck.Outcome?
        if let layout = plan.layout {
            try Cancellation.check("the filesystem check")
            if plan.repairCopy {
                progress.note("repairing the copy with e2fsck -fy")
                repair = try await FilesystemCheck.run(
                    plan.target.path, offset: layout.partitionOffsetBytes, repair: true)
            }
            progress.note("checking the copy with e2fsck -fn")
            let check = try await FilesystemCheck.run(plan.target.path, offset: layout.partitionOffsetBytes)
            fsck = check
            guard check.clean else {
                throw .failed(
                    "e2fsck -fn found problems in the copy (exit \(check.exitStatus)); the partition table was not "
                        + "written:\n\(check.output)")
            }
            try Cancellation.check("the filesystem check")
            progress.note("writing the \(layout.table) partition table")
            try writeTable(plan, layout: layout)
        }
        let problems = try verifyTable(plan)
        finished = true
        let seconds = max((ContinuousClock.now - started).seconds, 0.000_001)
        return ConversionResult(
            method: plan.method, layout: plan.layout, identity: plan.identity, bytesCopied: copier.bytesDone,
            bytesWritten: copier.bytesWritten, seconds: seconds, bytesPerSecond: Double(copier.bytesDone) / seconds,
            repair: repair, fsck: fsck, tableProblems: problems)
    }

    /// Used blocks land at the same offset inside partition 1 as they had in the source.
    static func copyUsedBlocks(_ plan: ConversionPlan, copier: RangeCopier) throws(ConversionError) {
        guard let layout = plan.layout else { return }
        let runs: [Range<UInt64>]
        let blockSize: UInt64
        do {
            let fs = try ExtFilesystem(path: plan.source.path)
            runs = try fs.usedBlockRuns()
            blockSize = UInt64(fs.blockSize)
        } catch {
            throw .failed("reading the source's block bitmaps: \(error.description)")
        }
        for run in runs {
            try copier.copy(
                from: run.lowerBound * blockSize, to: layout.partitionOffsetBytes + run.lowerBound * blockSize,
                length: UInt64(run.count) * blockSize, skipZeros: plan.target.created)
        }
    }

    /// Every byte that holds data, at the same offset; holes stay holes in a new file.
    static func copyWholeDisk(
        _ plan: ConversionPlan, source: FileDescriptor, copier: RangeCopier, skipZeros: Bool
    ) throws(ConversionError) {
        // Holes may be skipped only where the target is known to be zero already.
        let regions =
            plan.source.kind == .file && skipZeros
            ? SparseRegions.dataRegions(of: source, size: plan.source.sizeBytes)
            : [0..<plan.source.sizeBytes]
        for region in regions {
            try copier.copy(
                from: region.lowerBound, to: region.lowerBound, length: UInt64(region.count), skipZeros: skipZeros)
        }
    }

    static func writeTable(_ plan: ConversionPlan, layout: DiskLayout) throws(ConversionError) {
        do {
            try PartitionTableWriter.write(layout, to: plan.target.path, identity: plan.identity ?? TableIdentity())
        } catch {
            throw .failed("writing the partition table: \(error.description)")
        }
    }

    /// Reads back what was written and compares it with the plan.
    static func verifyTable(_ plan: ConversionPlan) throws(ConversionError) -> [String] {
        guard let layout = plan.layout else { return [] }
        do {
            guard let table = try PartitionTableReader.read(path: plan.target.path) else {
                throw ConversionError.failed("the partition table written to \(plan.target.path) cannot be read back")
            }
            let problems = table.verify(against: layout, identity: plan.identity)
            if !problems.isEmpty {
                throw ConversionError.failed(
                    "the partition table read back differs: \(problems.joined(separator: "; "))")
            }
            return problems
        } catch let error as ConversionError {
            throw error
        } catch {
            throw .failed("reading back the partition table: \(error)")
        }
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
