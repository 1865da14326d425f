import FoundationEssentials

/// Writes a stream's records in order, numbering them and keeping the rules the decoder
/// checks (a sender cannot write what a receiver refuses).
public struct StreamEncoder {
    public let header: StreamHeader
    private var sequence: UInt32 = 0
    public private(set) var covered: UInt64
    public private(set) var dataBytes: UInt64 = 0

    /// The encoder, and the header record to send first.
    public init(header: StreamHeader) {
        self.header = header
        covered = header.resumedFrom
    }

    private mutating func next(_ record: StreamRecord) -> [UInt8] { numbered(record).encoded() }

    /// `record` with the next sequence number.
    private mutating func numbered(_ record: StreamRecord) -> StreamRecord {
        var record = record
        record.sequence = sequence
        sequence += 1
        return record
    }

    public mutating func headerRecord() -> [UInt8] {
        let json = (try? JSONEncoder().encode(header)).map { Array($0) } ?? []
        return next(StreamRecord(kind: .header, offset: header.resumedFrom, payload: json))
    }

    /// `bytes` at the covered offset (compressed already when `compressedFrom` is given: the
    /// uncompressed length).
    public mutating func data(_ bytes: [UInt8], compressedFrom length: Int? = nil) -> [UInt8] {
        bytes.withUnsafeBytes { dataFrame(for: $0, compressedFrom: length) + bytes }
    }

    /// Only the frame of the data record `data(_:compressedFrom:)` makes: `payload` goes on
    /// the wire right after it, as it is.
    public mutating func dataFrame(for payload: UnsafeRawBufferPointer, compressedFrom length: Int? = nil) -> [UInt8] {
        let standsFor = UInt64(length ?? payload.count)
        let record = StreamRecord(kind: .data, flags: length == nil ? [] : .zstd, offset: covered, length: standsFor)
        covered += standsFor
        dataBytes += standsFor
        return numbered(record).frame(for: payload)
    }

    public mutating func zero(_ length: UInt64, mustReadAsZero: Bool) -> [UInt8] {
        let record = StreamRecord(
            kind: .zero, flags: mustReadAsZero ? .mustReadAsZero : [], offset: covered, length: length)
        covered += length
        return next(record)
    }

    public mutating func checkpoint() -> [UInt8] {
        next(StreamRecord(kind: .checkpoint, offset: covered, length: dataBytes))
    }

    public mutating func end() -> [UInt8] { next(StreamRecord(kind: .end, offset: covered, length: dataBytes)) }

    public mutating func failure(_ message: String) -> [UInt8] {
        next(StreamRecord(kind: .failure, offset: covered, payload: Array(message.utf8)))
    }
}
