import X2KStream

/// An x2k stream as the KVM side receives it from the Xen host, fed to the decoder in pieces (a
/// record may arrive cut anywhere): every damage is a StreamError, never a crash, a hang or an
/// unbounded allocation. Two streams per input: a valid stream (header, data, zero ranges,
/// checkpoints, end) with the input's edits applied — byte changes and a cut, so the fuzzer
/// starts from what a sender writes without committed seeds — and the input itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzX2KStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let first = bytes.first else { return 0 }
    let piece = Int(first) + 1
    decode(edited(valid, by: Array(bytes.dropFirst())), piece: piece)
    decode(Array(bytes.dropFirst()), piece: piece)
    return 0
}

let valid: [UInt8] = {
    let header = StreamHeader(
        guest: "web01", disk: "/dev/vg0/web01", host: "xen1", fingerprint: "0123456789abcdef",
        filesystemBytes: 20480, blockSize: 4096, usedBytes: 8192, runs: 2, sourceFacts: "{}")
    var encoder = StreamEncoder(header: header)
    var stream = encoder.headerRecord()
    stream += encoder.data([UInt8](repeating: 0xA5, count: 4096))
    stream += encoder.zero(4096, mustReadAsZero: false)
    stream += encoder.checkpoint()
    stream += encoder.data([UInt8](repeating: 0x5A, count: 4096))
    stream += encoder.zero(8192, mustReadAsZero: true)
    return stream + encoder.end()
}()

/// Each 3 bytes of `edits` set one byte (a 16-bit position, a value); a last single byte cuts
/// the stream there (scaled to its length).
func edited(_ stream: [UInt8], by edits: [UInt8]) -> [UInt8] {
    var result = stream
    var index = 0
    while index + 3 <= edits.count {
        let position = (Int(edits[index]) << 8 | Int(edits[index + 1])) % result.count
        result[position] = edits[index + 2]
        index += 3
    }
    if index < edits.count { result = Array(result.prefix(result.count * Int(edits[index]) / 255)) }
    return result
}

func decode(_ stream: [UInt8], piece: Int) {
    var decoder = StreamDecoder()
    var offset = 0
    do {
        while offset < stream.count {
            let end = min(offset + piece, stream.count)
            try decoder.feed(Array(stream[offset..<end])) { _ in }
            offset = end
        }
        try decoder.finish()
    } catch {}
}
