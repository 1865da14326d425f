import CDecompress

/// The compressions initrds use, told apart by their magic bytes.
enum Compression: String, Sendable {
    case gzip, xz, lzma, zstd, bzip2, lz4

    static func detect(_ bytes: ArraySlice<UInt8>) -> Compression? {
        func starts(_ magic: [UInt8]) -> Bool { bytes.starts(with: magic) }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts([0x5D, 0x00, 0x00]) { return .lzma }
        if starts([0x42, 0x5A, 0x68]) { return .bzip2 }
        if starts([0x02, 0x21, 0x4C, 0x18]) { return .lz4 }
        return nil
    }
}

enum DecompressError: Error, CustomStringConvertible {
    case unsupported(Compression)
    case corrupt(Compression, String)
    case tooLarge(Int)

    var description: String {
        switch self {
        case .unsupported(let kind): return "\(kind.rawValue)-compressed data is not supported"
        case .corrupt(let kind, let detail): return "damaged \(kind.rawValue) data: \(detail)"
        case .tooLarge(let limit): return "expands beyond \(limit) bytes"
        }
    }
}

/// Expands one compressed stream (trailing data after the stream is ignored).
enum Decompressor {
    static let outputLimit = 1 << 30

    static func expand(_ input: ArraySlice<UInt8>, as kind: Compression) throws -> [UInt8] {
        switch kind {
        case .gzip: return try inflate(input)
        case .xz, .lzma: return try unxz(input, kind: kind)
        case .zstd: return try unzstd(input)
        case .bzip2, .lz4: throw DecompressError.unsupported(kind)
        }
    }

    private static func inflate(_ input: ArraySlice<UInt8>) throws -> [UInt8] {
        var stream = z_stream()
        guard xen2kvm_inflate_init_auto(&stream) == Z_OK else {
            throw DecompressError.corrupt(.gzip, "zlib init failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        try input.withUnsafeBytes { raw in
            stream.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(raw.count)
            while true {
                let status = chunk.withUnsafeMutableBytes { out in
                    stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(out.count)
                    return CDecompress.inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk.prefix(chunk.count - Int(stream.avail_out)))
                if output.count > outputLimit { throw DecompressError.tooLarge(outputLimit) }
                if status == Z_STREAM_END { return }
                if status == Z_BUF_ERROR && stream.avail_in == 0 { return }  // truncated: keep what we have
                guard status == Z_OK else {
                    throw DecompressError.corrupt(.gzip, "zlib status \(status)")
                }
            }
        }
        return output
    }

    private static func unxz(_ input: ArraySlice<UInt8>, kind: Compression) throws -> [UInt8] {
        var stream = lzma_stream()
        let initStatus =
            kind == .xz
            ? lzma_stream_decoder(&stream, UInt64.max, 0)
            : lzma_alone_decoder(&stream, UInt64.max)
        guard initStatus == LZMA_OK else { throw DecompressError.corrupt(kind, "decoder init failed") }
        defer { lzma_end(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        try input.withUnsafeBytes { raw in
            stream.next_in = raw.bindMemory(to: UInt8.self).baseAddress
            stream.avail_in = raw.count
            while true {
                let status = chunk.withUnsafeMutableBytes { out in
                    stream.next_out = out.bindMemory(to: UInt8.self).baseAddress
                    stream.avail_out = out.count
                    return lzma_code(&stream, stream.avail_in == 0 ? LZMA_FINISH : LZMA_RUN)
                }
                output.append(contentsOf: chunk.prefix(chunk.count - stream.avail_out))
                if output.count > outputLimit { throw DecompressError.tooLarge(outputLimit) }
                if status == LZMA_STREAM_END { return }
                if status == LZMA_BUF_ERROR && stream.avail_in == 0 { return }
                guard status == LZMA_OK else {
                    throw DecompressError.corrupt(kind, "lzma status \(status.rawValue)")
                }
            }
        }
        return output
    }

    private static func unzstd(_ input: ArraySlice<UInt8>) throws -> [UInt8] {
        guard let context = ZSTD_createDStream() else { throw DecompressError.corrupt(.zstd, "no memory") }
        defer { ZSTD_freeDStream(context) }
        ZSTD_initDStream(context)
        let bytes = Array(input)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var consumed = 0
        while consumed < bytes.count {
            let step = try zstdStep(context, bytes, from: consumed, into: &chunk)
            if step.failed {
                // Data after the last frame (padding) is not worth failing on.
                if !output.isEmpty { break }
                throw DecompressError.corrupt(.zstd, step.error)
            }
            output.append(contentsOf: chunk.prefix(step.produced))
            if output.count > outputLimit { throw DecompressError.tooLarge(outputLimit) }
            consumed = step.consumed
            // A frame ended: go on only when another zstd frame follows (not padding).
            if step.frameDone && Compression.detect(bytes[consumed...].prefix(4)) != .zstd { break }
        }
        return output
    }

    private struct ZstdStep {
        var consumed: Int
        var produced: Int
        var frameDone: Bool
        var failed: Bool
        var error: String
    }

    private static func zstdStep(
        _ context: OpaquePointer, _ bytes: [UInt8], from position: Int, into chunk: inout [UInt8]
    ) throws -> ZstdStep {
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> ZstdStep in
            chunk.withUnsafeMutableBytes { (out: UnsafeMutableRawBufferPointer) -> ZstdStep in
                var source = ZSTD_inBuffer(src: raw.baseAddress, size: raw.count, pos: position)
                var sink = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let status = ZSTD_decompressStream(context, &sink, &source)
                let failed = ZSTD_isError(status) != 0
                return ZstdStep(
                    consumed: source.pos, produced: sink.pos, frameDone: !failed && status == 0,
                    failed: failed, error: failed ? String(cString: ZSTD_getErrorName(status)) : "")
            }
        }
    }
}
