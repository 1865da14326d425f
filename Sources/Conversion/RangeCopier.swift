import CLinuxIO
import HostSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Copies byte ranges from a source descriptor to a target descriptor.
///
/// Large aligned chunks; `copy_file_range` first (the kernel copies without a round trip
/// through user space and may share extents), plain pread/pwrite when the kernel says the
/// pair does not support it (block devices, cross-filesystem). Zero-filled chunks are skipped
/// so a file target stays sparse.
final class RangeCopier {
    let source: FileDescriptor
    let target: FileDescriptor
    let chunkBytes: Int
    private var kernelCopyWorks: Bool
    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes handled so far (written or skipped as zeros), for progress.
    private(set) var bytesDone: UInt64 = 0
    /// Bytes actually written to the target.
    private(set) var bytesWritten: UInt64 = 0
    private let progress: any ProgressReporter

    init(
        source: FileDescriptor, target: FileDescriptor, tryKernelCopy: Bool, progress: any ProgressReporter,
        chunkBytes: Int = 8 << 20
    ) {
        self.source = source
        self.target = target
        self.chunkBytes = chunkBytes
        self.kernelCopyWorks = tryKernelCopy
        self.progress = progress
        buffer = .allocate(byteCount: chunkBytes, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// One piece of work: `length` bytes from `source` to `target` offsets.
    struct Segment {
        var source: UInt64
        var target: UInt64
        var length: UInt64
    }

    /// Copies every segment in order, asking the kernel to read ahead of the copy (posix_fadvise
    /// WILLNEED over the next `readAhead` bytes of segments), so reading the next pieces
    /// overlaps writing the current one — also across the gaps between used-block runs.
    func copyAll(_ segments: [Segment], skipZeros: Bool, readAhead: UInt64 = 64 << 20) throws(ConversionError) {
        var ahead = ReadAhead(segments: segments, fd: source.rawValue)
        for segment in segments {
            var done: UInt64 = 0
            while done < segment.length {
                let count = min(UInt64(chunkBytes), segment.length - done)
                ahead.issue(through: segment.source + done + readAhead)
                try copy(
                    from: segment.source + done, to: segment.target + done, length: count, skipZeros: skipZeros)
                done += count
            }
        }
    }

    /// Copies `length` bytes from `sourceOffset` to `targetOffset`.
    func copy(from sourceOffset: UInt64, to targetOffset: UInt64, length: UInt64, skipZeros: Bool)
        throws(ConversionError)
    {
        var done: UInt64 = 0
        while done < length {
            try Host.stopIfInterrupted("the copy")
            let count = Int(min(UInt64(chunkBytes), length - done))
            if kernelCopyWorks && !skipZeros {
                var inOffset = Int64(sourceOffset + done)
                var outOffset = Int64(targetOffset + done)
                let copied = xen2kvm_copy_file_range(source.rawValue, &inOffset, target.rawValue, &outOffset, count)
                if copied > 0 {
                    done += UInt64(copied)
                    account(UInt64(copied), written: true)
                    continue
                }
                if copied < 0 && [EXDEV, EINVAL, EOPNOTSUPP, ENOSYS, EBADF].contains(errno) {
                    kernelCopyWorks = false
                } else if copied == 0 {
                    throw .failed(
                        "the source ended early at byte \(sourceOffset + done): it is shorter than its filesystem")
                } else {
                    throw .failed("copy_file_range at byte \(sourceOffset + done): \(Errno(rawValue: errno))")
                }
            }
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            let got = try readFully(chunk, at: sourceOffset + done)
            guard got == count else {
                throw .failed("the source ended early at byte \(sourceOffset + done + UInt64(got))")
            }
            if skipZeros {
                let written = try writeNonZero(chunk, at: targetOffset + done)
                done += UInt64(count)
                bytesDone += UInt64(count)
                bytesWritten += written
                progress.advance(done: bytesDone)
                continue
            }
            try writeFully(UnsafeRawBufferPointer(chunk), at: targetOffset + done)
            done += UInt64(count)
            account(UInt64(count), written: true)
        }
    }

    private func account(_ count: UInt64, written: Bool) {
        bytesDone += count
        if written { bytesWritten += count }
        progress.advance(done: bytesDone)
    }

    private func readFully(_ chunk: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ConversionError) -> Int {
        var got = 0
        while got < chunk.count {
            let result = pread(source.rawValue, chunk.baseAddress! + got, chunk.count - got, off_t(offset) + off_t(got))
            if result < 0 {
                if errno == EINTR { continue }
                throw .failed("reading the source at byte \(offset + UInt64(got)): \(Errno(rawValue: errno))")
            }
            if result == 0 { break }
            got += result
        }
        return got
    }

    /// Bytes written since writeback was last started.
    private var unflushed: UInt64 = 0
    private var unflushedStart: UInt64 = .max
    private var unflushedEnd: UInt64 = 0

    /// Starts the kernel writing back what was written so far, every 32 MiB, so disk writes
    /// overlap the reads instead of all waiting for the final fsync.
    private func noteWritten(_ count: Int, at offset: UInt64) {
        unflushed += UInt64(count)
        unflushedStart = min(unflushedStart, offset)
        unflushedEnd = max(unflushedEnd, offset + UInt64(count))
        guard unflushed >= 32 << 20 else { return }
        _ = xen2kvm_start_writeback(target.rawValue, Int64(unflushedStart), Int64(unflushedEnd - unflushedStart))
        unflushed = 0
        unflushedStart = .max
        unflushedEnd = 0
    }

    private func writeFully(_ chunk: UnsafeRawBufferPointer, at offset: UInt64) throws(ConversionError) {
        defer { noteWritten(chunk.count, at: offset) }
        var put = 0
        while put < chunk.count {
            let result = pwrite(
                target.rawValue, chunk.baseAddress! + put, chunk.count - put, off_t(offset) + off_t(put))
            if result < 0 {
                if errno == EINTR { continue }
                throw .failed("writing the target at byte \(offset + UInt64(put)): \(Errno(rawValue: errno))")
            }
            put += result
        }
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
                    try writeFully(
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
            try writeFully(UnsafeRawBufferPointer(rebasing: chunk[range]), at: offset + UInt64(range.lowerBound))
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

/// Issues posix_fadvise(WILLNEED) over the segments ahead of the copy, once each.
private struct ReadAhead {
    let segments: [RangeCopier.Segment]
    let fd: Int32
    private var index = 0
    private var issuedUpTo: UInt64 = 0

    init(segments: [RangeCopier.Segment], fd: Int32) {
        self.segments = segments
        self.fd = fd
    }

    /// Advises every segment byte below `limit` (source offsets grow with the index).
    mutating func issue(through limit: UInt64) {
        while index < segments.count {
            let segment = segments[index]
            let start = max(segment.source, issuedUpTo)
            let end = min(segment.source + segment.length, limit)
            if start < end {
                posix_fadvise(fd, off_t(start), off_t(end - start), POSIX_FADV_WILLNEED)
                issuedUpTo = end
            }
            if segment.source + segment.length > limit { return }
            index += 1
        }
    }
}
