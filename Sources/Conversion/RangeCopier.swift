import CLinuxIO
import HostSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Copies byte ranges from a source descriptor to a target descriptor.
///
/// Reflink first (FICLONERANGE): where source and target are files on one XFS or btrfs
/// filesystem, the target shares the source's blocks, so nothing is read or written and the
/// copy takes no space until the guest changes it (the source is never affected: a write to
/// either side gets a block of its own). Elsewhere the first attempt fails at once and the copy
/// goes on as below.
///
/// `copy_file_range` first where the caller allows it (the kernel copies without a round trip
/// through user space and may share extents). Otherwise, and where the kernel says the pair
/// does not support it (block devices, cross-filesystem): a reader thread fills a few large
/// aligned buffers ahead (`xen2kvm_ring`) while this thread writes them through a
/// `TargetWriter` (O_DIRECT into a device, where aligned), so reads and writes are in flight
/// together.
/// Zero-filled pieces are skipped so a file target stays sparse.
final class RangeCopier {
    let source: FileDescriptor
    let target: FileDescriptor
    let chunkBytes: Int
    /// Buffers the reader may fill ahead: with 8 MiB chunks, 24 MiB in all, which keeps peak
    /// RSS well under 64 MiB while the disk always has a read queued behind the write.
    let slots: Int
    private var kernelCopyWorks: Bool
    /// False once FICLONERANGE failed: another filesystem, a device, unaligned ranges.
    private var cloneWorks = true
    /// Bytes handled so far (written or skipped as zeros), for progress.
    private(set) var bytesDone: UInt64 = 0
    /// Bytes actually written to the target.
    private(set) var bytesWritten: UInt64 = 0
    /// Bytes the target shares with the source through reflink (neither read nor written).
    private(set) var bytesShared: UInt64 = 0
    private let progress: any ProgressReporter
    private let writer: TargetWriter

    init(
        source: FileDescriptor, target: FileDescriptor, tryKernelCopy: Bool, progress: any ProgressReporter,
        chunkBytes: Int = 8 << 20, slots: Int = 3, directWrites: Bool
    ) {
        self.source = source
        self.target = target
        self.chunkBytes = chunkBytes
        self.slots = slots
        self.kernelCopyWorks = tryKernelCopy
        self.progress = progress
        writer = TargetWriter(target: target, allowDirect: directWrites)
    }

    /// Releases the writer's own descriptor of the target; call before syncing and closing it.
    func finish() { writer.close() }

    /// One piece of work: `length` bytes from `source` to `target` offsets.
    struct Segment {
        var source: UInt64
        var target: UInt64
        var length: UInt64
    }

    /// Makes target `ranges` read as zeros (see TargetWriter.zero). False if one could not be.
    func zeroTarget(_ ranges: [Range<UInt64>]) -> Bool {
        ranges.allSatisfy { writer.zero($0) }
    }

    /// Copies every segment in order.
    func copyAll(_ segments: [Segment], skipZeros: Bool) throws(ConversionError) {
        var rest = segments[...]
        if cloneWorks { rest = try clone(rest)[...] }
        if kernelCopyWorks && !skipZeros { rest = try kernelCopy(rest) }
        if !rest.isEmpty { try pipelinedCopy(rest, skipZeros: skipZeros) }
    }

    /// FICLONERANGE segment by segment, on the part of each that is aligned to the target
    /// filesystem's blocks (1 KiB-block ext filesystems have runs that start or end mid-block);
    /// returns what is left to copy: those unaligned heads and tails, and everything from the
    /// first segment the kernel would not clone on (all of it on any target that is not on the
    /// source's reflink filesystem).
    private func clone(_ segments: ArraySlice<Segment>) throws(ConversionError) -> [Segment] {
        var info = stat()
        let block = UInt64(fstat(target.rawValue, &info) == 0 && info.st_blksize > 0 ? Int(info.st_blksize) : 4096)
        var left: [Segment] = []
        for (index, segment) in zip(segments.indices, segments) {
            try Host.stopIfInterrupted("the copy")
            // Source and target offsets differ by the partition's offset, a multiple of 4 KiB.
            let start = (segment.source + block - 1) / block * block
            let end = (segment.source + segment.length) / block * block
            guard start < end, (segment.target + start - segment.source) % block == 0 else {
                left.append(segment)
                continue
            }
            let body = Segment(source: start, target: segment.target + start - segment.source, length: end - start)
            guard xen2kvm_clone_range(source.rawValue, body.source, body.length, target.rawValue, body.target) == 0
            else {
                cloneWorks = false
                return left + segments[index...]
            }
            bytesShared += body.length
            account(body.length, written: 0)
            if start > segment.source {
                left.append(Segment(source: segment.source, target: segment.target, length: start - segment.source))
            }
            if end < segment.source + segment.length {
                left.append(
                    Segment(
                        source: end, target: body.target + body.length, length: segment.source + segment.length - end))
            }
        }
        return left
    }

    /// copy_file_range over the segments; returns what is left when the kernel turns out not
    /// to support the pair (nothing when it copied everything).
    private func kernelCopy(_ segments: ArraySlice<Segment>) throws(ConversionError) -> ArraySlice<Segment> {
        for (index, segment) in zip(segments.indices, segments) {
            var done: UInt64 = 0
            while done < segment.length {
                try Host.stopIfInterrupted("the copy")
                var inOffset = Int64(segment.source + done)
                var outOffset = Int64(segment.target + done)
                let count = Int(min(UInt64(chunkBytes), segment.length - done))
                let copied = xen2kvm_copy_file_range(source.rawValue, &inOffset, target.rawValue, &outOffset, count)
                if copied > 0 {
                    done += UInt64(copied)
                    account(UInt64(copied), written: UInt64(copied))
                    continue
                }
                if copied < 0 && [EXDEV, EINVAL, EOPNOTSUPP, ENOSYS, EBADF].contains(errno) {
                    kernelCopyWorks = false
                    var left = segments[index...]
                    left[index] = Segment(
                        source: segment.source + done, target: segment.target + done, length: segment.length - done)
                    return left
                }
                if copied == 0 {
                    throw .failed(
                        "the source ended early at byte \(segment.source + done): it is shorter than its filesystem")
                }
                throw .failed("copy_file_range at byte \(segment.source + done): \(Errno(rawValue: errno))")
            }
        }
        return []
    }

    /// Reads on the ring's thread, writes here, piece by piece in order.
    private func pipelinedCopy(_ segments: ArraySlice<Segment>, skipZeros: Bool) throws(ConversionError) {
        var pieces: [xen2kvm_piece] = []
        var targets: [UInt64] = []
        for segment in segments {
            var done: UInt64 = 0
            while done < segment.length {
                let count = min(UInt64(chunkBytes), segment.length - done)
                pieces.append(xen2kvm_piece(offset: segment.source + done, length: Int(count)))
                targets.append(segment.target + done)
                done += count
            }
        }
        guard
            let ring = xen2kvm_ring_start(
                source.rawValue, pieces, pieces.count, slots, chunkBytes, TargetWriter.alignment, 64 << 20)
        else { throw .failed("cannot start the copy: no memory or thread for \(slots) buffers of \(chunkBytes) bytes") }
        defer { xen2kvm_ring_stop(ring) }
        for (piece, targetOffset) in zip(pieces, targets) {
            try Host.stopIfInterrupted("the copy")
            var address: UnsafeMutableRawPointer?
            let status = xen2kvm_ring_next(ring, &address)
            if status == -1 {
                throw .failed("the source ended early, before byte \(piece.offset + UInt64(piece.length))")
            } else if status != 0 {
                throw .failed("reading the source at byte \(piece.offset): \(Errno(rawValue: status))")
            }
            let chunk = UnsafeMutableRawBufferPointer(start: address, count: piece.length)
            if skipZeros {
                account(UInt64(piece.length), written: try writeNonZero(chunk, at: targetOffset))
            } else {
                try writer.write(UnsafeRawBufferPointer(chunk), at: targetOffset)
                account(UInt64(piece.length), written: UInt64(piece.length))
            }
            xen2kvm_ring_release(ring)
        }
    }

    private func account(_ count: UInt64, written: UInt64) {
        bytesDone += count
        bytesWritten += written
        progress.advance(done: bytesDone)
    }

    /// Writes only the 64 KiB pieces of `chunk` that hold a non-zero byte (neighbours
    /// coalesced into one write); the target is known to be zero there already.
    private func writeNonZero(_ chunk: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ConversionError)
        -> UInt64
    {
        let piece = 64 << 10
        var written: UInt64 = 0
        var pending: Range<Int>?
        var start = 0
        while start < chunk.count {
            let end = min(start + piece, chunk.count)
            let slice = UnsafeMutableRawBufferPointer(rebasing: chunk[start..<end])
            if isZero(slice) {
                if let range = pending {
                    try writer.write(
                        UnsafeRawBufferPointer(rebasing: chunk[range]), at: offset + UInt64(range.lowerBound))
                    written += UInt64(range.count)
                    pending = nil
                }
            } else {
                pending = (pending?.lowerBound ?? start)..<end
            }
            start = end
        }
        if let range = pending {
            try writer.write(UnsafeRawBufferPointer(rebasing: chunk[range]), at: offset + UInt64(range.lowerBound))
            written += UInt64(range.count)
        }
        return written
    }

    private func isZero(_ chunk: UnsafeMutableRawBufferPointer) -> Bool {
        var offset = 0
        while offset + 8 <= chunk.count {
            if chunk.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != 0 { return false }
            offset += 8
        }
        return chunk[offset...].allSatisfy { $0 == 0 }
    }
}
