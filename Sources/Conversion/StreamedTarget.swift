import HostSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A target written from a stream of a filesystem's blocks (the x2k transport) rather than
/// from a local source: each piece lands at its offset in partition 1 as it arrives, and once
/// the stream has ended the copy is checked and the partition table written last, as
/// `Converter` does. A new file is kept when the run stops early, so the next run can resume;
/// the caller removes it (`remove`) when it gives the transfer up.
public final class StreamedTarget {
    public let plan: ConversionPlan
    private let target: TargetFile
    private let writer: TargetWriter
    private let partitionOffset: UInt64
    private let started = ContinuousClock.now
    /// Data bytes that came in this run, and what of them was written (zero blocks of a new
    /// file are skipped).
    public private(set) var bytesReceived: UInt64 = 0
    public private(set) var bytesWritten: UInt64 = 0
    /// The target read as zeros before the transfer began (a new file).
    public var isNew: Bool { target.isNew }
    public var path: String { target.path }

    private init(plan: ConversionPlan, target: TargetFile) throws(ConversionError) {
        guard plan.method == .blocks, let layout = plan.layout else {
            throw .refused(
                "a stream of used blocks goes into partition 1 as it is (method blocks); this plan's method is "
                    + "\(plan.method.rawValue)")
        }
        self.plan = plan
        self.target = target
        partitionOffset = layout.partitionOffsetBytes
        writer = TargetWriter(target: target.fd, allowDirect: plan.target.kind == "block device")
    }

    /// Opens the target to begin a transfer: a new file is created (and kept on failure), an
    /// existing target has its old table areas cleared.
    public static func begin(_ plan: ConversionPlan) throws(ConversionError) -> StreamedTarget {
        if let refusal = plan.refusal { throw .refused(refusal.detail) }
        let file = try TargetFile.open(plan, kept: true)
        do {
            if !plan.target.created && plan.target.existingBytes > 0 { try file.wipeTableAreas(plan) }
            return try StreamedTarget(plan: plan, target: file)
        } catch {
            file.close()
            throw error
        }
    }

    /// Opens the target an interrupted transfer left, to go on from its last checkpoint.
    public static func resume(_ plan: ConversionPlan, wasNew: Bool) throws(ConversionError) -> StreamedTarget {
        let file = try TargetFile.reopen(plan, isNew: wasNew)
        do {
            return try StreamedTarget(plan: plan, target: file)
        } catch {
            file.close()
            throw error
        }
    }

    /// The filesystem's bytes at `offset`; all-zero 4 KiB blocks of a new file are skipped.
    public func write(_ bytes: UnsafeRawBufferPointer, atFilesystemOffset offset: UInt64) throws(ConversionError) {
        bytesReceived += UInt64(bytes.count)
        let block = 4096
        var index = 0
        while index < bytes.count {
            var end = index
            if target.isNew {
                while index < bytes.count && Self.isZero(bytes, index, min(block, bytes.count - index)) {
                    index += block
                }
                guard index < bytes.count else { return }
                end = index
                while end < bytes.count && !Self.isZero(bytes, end, min(block, bytes.count - end)) { end += block }
                end = min(end, bytes.count)
            } else {
                end = bytes.count
            }
            try writer.write(
                UnsafeRawBufferPointer(rebasing: bytes[index..<end]), at: partitionOffset + offset + UInt64(index))
            bytesWritten += UInt64(end - index)
            index = end
        }
    }

    /// A range that must read as zeros (unused inode tables, a clean journal's log): nothing to
    /// do in a new file; zeroed in any other target.
    public func zero(_ range: Range<UInt64>) throws(ConversionError) {
        guard !target.isNew, !range.isEmpty else { return }
        let place = partitionOffset + range.lowerBound..<partitionOffset + range.upperBound
        if writer.zero(place) { return }
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        var offset = place.lowerBound
        while offset < place.upperBound {
            let count = Int(min(UInt64(zeros.count), place.upperBound - offset))
            try writer.write(UnsafeRawBufferPointer(rebasing: zeros[0..<count]), at: offset)
            offset += UInt64(count)
        }
    }

    /// Everything written so far is on disk (before a checkpoint is recorded).
    public func sync() throws(ConversionError) { try target.sync("at a checkpoint") }

    /// After the stream's end: sync, check the copy with e2fsck -fn, write the partition table
    /// and read it back. A copy that fails the check gets no table.
    public func finish(progress: any ProgressReporter) async throws(ConversionError) -> ConversionResult {
        writer.close()
        try target.sync("after the transfer")
        target.close()
        let layout = plan.layout!
        try Host.stopIfInterrupted("the filesystem check")
        let (_, fsck) = try await Converter.checkCopy(plan, layout: layout, progress: progress)
        try Host.stopIfInterrupted("the filesystem check")
        progress.note("writing the \(layout.table) partition table")
        try Converter.writeTable(plan, layout: layout)
        try Converter.verifyTable(plan)
        let seconds = max((ContinuousClock.now - started).inSeconds, 0.000_001)
        return ConversionResult(
            method: plan.method, layout: plan.layout, identity: plan.identity, bytesCopied: bytesReceived,
            bytesWritten: bytesWritten, bytesShared: 0, seconds: seconds,
            bytesPerSecond: Double(bytesReceived) / seconds, repair: nil, fsck: fsck)
    }

    /// Closes the target without finishing it (the transfer stopped; it may resume).
    public func close() {
        writer.close()
        target.close()
    }

    private static let zeros = [UInt8](repeating: 0, count: 4096)

    private static func isZero(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ length: Int) -> Bool {
        zeros.withUnsafeBytes { memcmp(bytes.baseAddress! + at, $0.baseAddress!, length) == 0 }
    }
}
