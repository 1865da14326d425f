import CDecompress
import CLinuxIO
import Conversion
import FoundationEssentials
import HostSystem
import SystemPackage
import X2KStream

#if canImport(Glibc)
    import Glibc
#endif

/// The Xen side of the x2k transport (`xen2kvm send`, run over ssh by the KVM host): reads the
/// source read-only and writes the stream to standard output — a header with the source's
/// facts and fingerprint, its used blocks as data records, the rest as zero ranges, a
/// checkpoint every `checkpointBytes` of data, then the end record.
///
/// The source is a guest's image, hostile input for libext2fs and libblkid: the sender contains
/// itself as the image parser does (ParserChild.containSelf) before it reads a byte of it.
public enum X2KSender {
    public struct Options: Sendable {
        public var path: String
        public var guest: String?
        /// The fingerprint and checkpoint offset of an interrupted transfer to continue.
        public var resume: (fingerprint: String, offset: UInt64)?
        public var compress = false
        /// Data bytes between checkpoints; nil: a twentieth of the used bytes, 4 MiB to 256 MiB.
        public var checkpointBytes: UInt64?

        public init(path: String) { self.path = path }
    }

    /// Bytes per data record read and sent.
    static let chunk = 1 << 20
    /// Records read ahead of the one being sent (their buffers: 8 MiB), and how far ahead the
    /// page cache is asked to read (WILLNEED).
    static let readAheadSlots = 8
    static let readAheadAdvice = 32 << 20

    /// Sends the stream to `output`; an error once the header is out is sent as a failure
    /// record too (the receiver reports it), and thrown.
    public static func send(_ options: Options, to output: Int32) throws(ConversionError) {
        let path = options.path
        // Found before containment: it reads /proc and /sys, which the parser filter allows,
        // but it is about the host, not the image.
        let inUse = DiskInUse.reason(path, readOnlyMountsCount: false)
        let source: FileDescriptor
        do {
            source = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw .refused("cannot open \(path) read-only: \(error)")
        }
        defer { try? source.close() }
        do {
            try ParserChild.containSelf()
        } catch {
            throw .failed(error.description)
        }
        let described = try DescribedSource.describe(path, inUse: inUse)
        guard described.isCleanBareExt, let filesystemBytes = described.filesystemBytes else {
            throw .refused(
                "\(path) holds \(described.holds): the x2k transport sends the used blocks of a clean bare ext "
                    + "filesystem; use --transport dd (or e2image)")
        }
        let runs = try UsedBlockRuns.read(path)
        let size = DiskIdentity.of(path).sizeBytes
        let fingerprint = Fingerprint.of(path, fd: source, size: size, runs: runs)
        let usedBytes = runs.send.reduce(0) { $0 + UInt64($1.count) } * runs.blockSize
        var header = StreamHeader(
            guest: options.guest ?? String(path.split(separator: "/").last ?? ""), disk: path, host: hostName(),
            fingerprint: fingerprint, filesystemBytes: filesystemBytes, blockSize: runs.blockSize,
            usedBytes: usedBytes, runs: runs.send.count,
            sourceFacts: String(decoding: (try? JSONEncoder().encode(described)) ?? Data(), as: UTF8.self))
        if options.compress { header.compression = "zstd" }
        if let resume = options.resume {
            if resume.fingerprint != fingerprint {
                header.notResumed =
                    "the source changed since the interrupted transfer (its fingerprint was \(resume.fingerprint), "
                    + "is now \(fingerprint))"
            } else if resume.offset > filesystemBytes {
                header.notResumed = "the checkpoint (byte \(resume.offset)) lies past the filesystem's end"
            } else {
                header.resumedFrom = resume.offset
            }
        }
        var encoder = StreamEncoder(header: header)
        let out = Output(fd: output)
        try out.write(encoder.headerRecord())
        do {
            try sendRecords(
                runs, from: source, filesystemBytes: filesystemBytes, options: options, encoder: &encoder, out: out)
        } catch {
            try? out.write(encoder.failure(error.description))
            throw error
        }
    }

    private static func sendRecords(
        _ runs: UsedBlockRuns, from source: FileDescriptor, filesystemBytes: UInt64, options: Options,
        encoder: inout StreamEncoder, out: Output
    ) throws(ConversionError) {
        let block = runs.blockSize
        let usedBytes = runs.send.reduce(0) { $0 + UInt64($1.count) } * block
        let every = options.checkpointBytes ?? min(max(usedBytes / 20, 4 << 20), 256 << 20)
        let pause = getenv("XEN2KVM_TEST_SEND_PAUSE_MS").flatMap { UInt32(String(cString: $0)) }
        let compressor = options.compress ? Compressor() : nil
        var sinceCheckpoint: UInt64 = 0
        let pieces = Self.pieces(runs, filesystemBytes: filesystemBytes, from: encoder.covered)
        // The data is read on the ring's thread, ahead of this one, which waits on the pipe to
        // sshd: reads and the link overlap (one after the other, the sender took as long as the
        // link did, on top of it). Each record's payload is written from the ring's buffer.
        var reads: [xen2kvm_piece] = []
        for piece in pieces where piece.kind == .data {
            var offset = piece.range.lowerBound
            while offset < piece.range.upperBound {
                let count = Int(min(UInt64(chunk), piece.range.upperBound - offset))
                reads.append(xen2kvm_piece(offset: offset, length: count))
                offset += UInt64(count)
            }
        }
        guard
            let ring = xen2kvm_ring_start(
                source.rawValue, reads, reads.count, readAheadSlots, chunk, 4096, readAheadAdvice)
        else { throw .failed("cannot start reading the source: no memory or thread for its buffers") }
        defer { xen2kvm_ring_stop(ring) }
        var timing = SendTiming()
        defer { timing.report(encoder.dataBytes) }
        for piece in pieces {
            switch piece.kind {
            case .zero(let mustReadAsZero):
                try out.write(encoder.zero(UInt64(piece.range.count), mustReadAsZero: mustReadAsZero))
            case .data:
                var offset = piece.range.lowerBound
                while offset < piece.range.upperBound {
                    let count = Int(min(UInt64(chunk), piece.range.upperBound - offset))
                    var address: UnsafeMutableRawPointer?
                    let status = xen2kvm_ring_next(ring, &address)
                    if status == -1 {
                        throw .failed("the source ends before byte \(offset + UInt64(count)), inside its filesystem")
                    } else if status != 0 {
                        throw .failed("reading the source at byte \(offset): \(Errno(rawValue: status))")
                    }
                    let data = UnsafeRawBufferPointer(start: address, count: count)
                    timing.read()
                    let frame: [UInt8]
                    let payload: UnsafeRawBufferPointer
                    if let compressor, let packed = compressor.compress(data) {
                        payload = packed
                        frame = encoder.dataFrame(for: payload, compressedFrom: count)
                    } else {
                        payload = data
                        frame = encoder.dataFrame(for: payload)
                    }
                    timing.encoded()
                    try out.write(frame, then: payload)
                    xen2kvm_ring_release(ring)
                    timing.written()
                    offset += UInt64(count)
                    sinceCheckpoint += UInt64(count)
                    if sinceCheckpoint >= every {
                        try out.write(encoder.checkpoint())
                        sinceCheckpoint = 0
                        if let pause { usleep(pause * 1000) }
                    }
                }
            }
        }
        try out.write(encoder.end())
    }

    enum PieceKind: Equatable {
        case data
        case zero(mustReadAsZero: Bool)
    }

    /// The filesystem from `start` to its end as pieces in byte offsets: the runs to send, the
    /// ranges that must read as zeros, and the free ranges between them.
    static func pieces(_ runs: UsedBlockRuns, filesystemBytes: UInt64, from start: UInt64) -> [(
        range: Range<UInt64>, kind: PieceKind
    )] {
        let block = runs.blockSize
        let marked =
            (runs.send.map { ($0, PieceKind.data) } + runs.zero.map { ($0, PieceKind.zero(mustReadAsZero: true)) })
            .sorted { $0.0.lowerBound < $1.0.lowerBound }
        var pieces: [(range: Range<UInt64>, kind: PieceKind)] = []
        var at: UInt64 = 0
        func add(_ range: Range<UInt64>, _ kind: PieceKind) {
            let clipped = max(range.lowerBound, start)..<max(range.upperBound, start)
            if !clipped.isEmpty { pieces.append((clipped, kind)) }
        }
        for (run, kind) in marked {
            let bytes = min(run.lowerBound * block, filesystemBytes)..<min(run.upperBound * block, filesystemBytes)
            if bytes.lowerBound > at { add(at..<bytes.lowerBound, .zero(mustReadAsZero: false)) }
            add(bytes, kind)
            at = max(at, bytes.upperBound)
        }
        if at < filesystemBytes { add(at..<filesystemBytes, .zero(mustReadAsZero: false)) }
        return pieces
    }

    private static func hostName() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Standard output, written in full (a receiver gone is the end: EPIPE).
    struct Output {
        let fd: Int32

        func write(_ bytes: [UInt8]) throws(ConversionError) {
            if let failure = bytes.withUnsafeBytes({ Self.write(fd, [$0]) }) { throw failure }
        }

        /// The frame, then the payload: one writev, no joined copy.
        func write(_ frame: [UInt8], then payload: UnsafeRawBufferPointer) throws(ConversionError) {
            if let failure = frame.withUnsafeBytes({ Self.write(fd, [$0, payload]) }) { throw failure }
        }

        /// All of `parts`, in order, with as few system calls as the pipe allows.
        private static func write(_ fd: Int32, _ parts: [UnsafeRawBufferPointer]) -> ConversionError? {
            var parts = parts.filter { !$0.isEmpty }
            while !parts.isEmpty {
                var vectors = parts.map {
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
                }
                let wrote = writev(fd, &vectors, Int32(vectors.count))
                if wrote < 0 {
                    if errno == EINTR { continue }
                    return .failed("writing the stream: \(String(cString: strerror(errno)))")
                }
                // Drop what went out: whole parts, then the front of the next one.
                var left = wrote
                while let part = parts.first, left >= part.count {
                    left -= part.count
                    parts.removeFirst()
                }
                if left > 0 { parts[0] = UnsafeRawBufferPointer(rebasing: parts[0][left...]) }
            }
            return nil
        }
    }

    /// zstd, level 1 (fast: the link, not the CPU, is what it saves).
    final class Compressor {
        let context: OpaquePointer?
        let output: UnsafeMutableRawBufferPointer

        init() {
            context = ZSTD_createCCtx()
            output = .allocate(byteCount: Int(ZSTD_compressBound(X2KSender.chunk)), alignment: 16)
        }

        /// The compressed bytes (in `output`, until the next call), or nil when they would not
        /// be smaller.
        func compress(_ input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
            let written = ZSTD_compressCCtx(
                context, output.baseAddress, output.count, input.baseAddress, input.count, 1)
            guard ZSTD_isError(written) == 0, written < input.count else { return nil }
            return UnsafeRawBufferPointer(rebasing: output[0..<written])
        }

        deinit {
            ZSTD_freeCCtx(context)
            output.deallocate()
        }
    }
}
