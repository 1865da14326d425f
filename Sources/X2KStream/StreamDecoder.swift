import FoundationEssentials

/// Why a stream cannot be used. Each message says where it went wrong; none is recoverable
/// within the stream (a rerun resumes from the last checkpoint).
public enum StreamError: Error, Equatable, CustomStringConvertible {
    /// A frame's magic or checksum is wrong, or a field is out of bounds.
    case corrupt(record: UInt32, streamOffset: UInt64, what: String)
    /// A record starts after the end of the one before it.
    case gap(record: UInt32, expected: UInt64, found: UInt64)
    /// A record starts before the end of the one before it.
    case backwards(record: UInt32, expected: UInt64, found: UInt64)
    /// The stream ended before its end record.
    case truncated(streamBytes: UInt64, covered: UInt64)
    /// The sender said it could not go on.
    case senderFailed(String)
    /// The records disagree with the header or with each other (counts, order, format).
    case inconsistent(String)

    public var description: String {
        switch self {
        case .corrupt(let record, let offset, let what):
            return "the x2k stream is damaged: record \(record) at stream byte \(offset) \(what)"
        case .gap(let record, let expected, let found):
            return "the x2k stream has a gap: record \(record) starts at filesystem byte \(found), the one before "
                + "ended at \(expected)"
        case .backwards(let record, let expected, let found):
            return "the x2k stream goes backwards: record \(record) starts at filesystem byte \(found), before "
                + "\(expected) where the one before ended"
        case .truncated(let bytes, let covered):
            return "the x2k stream ended after \(bytes) bytes, before its end record (filesystem byte \(covered) "
                + "reached): the sender stopped or the link dropped"
        case .senderFailed(let message): return "the sender failed: \(message)"
        case .inconsistent(let what): return "the x2k stream is inconsistent: \(what)"
        }
    }
}

/// Reads a stream as it arrives, in pieces of any size, and hands each record on once its
/// frame and checksum are right and its offset continues the one before. Holds at most one
/// record (≤ 8 MiB payload) besides what was fed.
public struct StreamDecoder {
    public private(set) var header: StreamHeader?
    /// Filesystem bytes covered so far (where the next record must start).
    public private(set) var covered: UInt64 = 0
    /// Data bytes (uncompressed) received in this stream.
    public private(set) var dataBytes: UInt64 = 0
    /// Stream bytes fed so far.
    public private(set) var streamBytes: UInt64 = 0
    public private(set) var ended = false
    private var sequence: UInt32 = 0
    private var pending: [UInt8] = []
    /// Where `pending` starts in the stream.
    private var pendingOffset: UInt64 = 0

    public init() {}

    /// Feeds the next bytes; `handle` gets each complete, valid record in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, handle: (StreamRecord) throws -> Void) throws {
        streamBytes += UInt64(bytes.count)
        pending.append(contentsOf: bytes)
        var consumed = 0
        defer {
            if consumed > 0 {
                pending.removeFirst(consumed)
                pendingOffset += UInt64(consumed)
            }
        }
        while true {
            let record = try pending.withUnsafeBytes { raw throws(StreamError) -> (StreamRecord, Int)? in
                try parse(UnsafeRawBufferPointer(rebasing: raw[consumed...]), at: pendingOffset + UInt64(consumed))
            }
            guard let (record, size) = record else { return }
            consumed += size
            try check(record)
            try handle(record)
        }
    }

    public mutating func feed(_ bytes: [UInt8], handle: (StreamRecord) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, handle: handle) }
    }

    /// At the end of the bytes: a stream without its end record is truncated.
    public func finish() throws(StreamError) {
        guard ended else { throw .truncated(streamBytes: streamBytes, covered: covered) }
    }

    /// One record from the front of `raw`, or nil when it has not all arrived yet.
    private func parse(_ raw: UnsafeRawBufferPointer, at streamOffset: UInt64) throws(StreamError) -> (
        StreamRecord, Int
    )? {
        let frame = StreamRecord.frameBytes
        let number = sequence
        func corrupt(_ what: String) -> StreamError { .corrupt(record: number, streamOffset: streamOffset, what: what) }
        if ended && !raw.isEmpty { throw corrupt("follows the end record") }
        guard raw.count >= frame else {
            // A bad magic is reported as soon as its bytes are here, not only when a frame is.
            if !raw.isEmpty, !zip(raw.prefix(4), StreamRecord.magic).allSatisfy({ $0 == $1 }) {
                throw corrupt("does not start with the record mark")
            }
            return nil
        }
        guard raw.prefix(4).elementsEqual(StreamRecord.magic) else {
            throw corrupt("does not start with the record mark")
        }
        let payloadCount = Int(raw.littleEndian(UInt32.self, at: 8))
        guard payloadCount <= StreamRecord.maximumPayload else {
            throw corrupt("claims a payload of \(payloadCount) bytes (at most \(StreamRecord.maximumPayload))")
        }
        guard raw.count >= frame + payloadCount else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: raw[frame..<frame + payloadCount])
        let stored = raw.littleEndian(UInt32.self, at: 32)
        let computed = Checksum.crc32(UnsafeRawBufferPointer(rebasing: raw[0..<32]), then: payload)
        guard stored == computed else {
            throw corrupt("has a bad checksum (stored \(hex(stored)), computed \(hex(computed)))")
        }
        guard let kind = StreamRecord.Kind(rawValue: raw[4]) else { throw corrupt("has an unknown kind \(raw[4])") }
        let record = StreamRecord(
            kind: kind, flags: .init(rawValue: raw[5]), sequence: raw.littleEndian(UInt32.self, at: 12),
            offset: raw.littleEndian(UInt64.self, at: 16), length: raw.littleEndian(UInt64.self, at: 24),
            payload: Array(payload))
        guard record.sequence == number else {
            throw corrupt("is numbered \(record.sequence) (a record is missing or repeated)")
        }
        return (record, frame + payloadCount)
    }

    /// The stream's rules, record by record.
    private mutating func check(_ record: StreamRecord) throws(StreamError) {
        let number = sequence
        sequence += 1
        if record.kind == .failure {
            throw .senderFailed(String(decoding: record.payload, as: UTF8.self))
        }
        guard let header else {
            guard record.kind == .header else {
                throw .inconsistent("record 0 is a \(record.kind) record, not the header")
            }
            let decoded: StreamHeader
            do {
                decoded = try JSONDecoder().decode(StreamHeader.self, from: Data(record.payload))
            } catch {
                throw .inconsistent("its header cannot be read: \(error)")
            }
            guard decoded.format == StreamHeader.currentFormat else {
                throw .inconsistent(
                    "the sender writes format \(decoded.format), this xen2kvm reads format "
                        + "\(StreamHeader.currentFormat): install the same xen2kvm on both hosts")
            }
            guard decoded.resumedFrom <= decoded.filesystemBytes, record.offset == decoded.resumedFrom else {
                throw .inconsistent("the header starts at byte \(record.offset), outside its filesystem")
            }
            self.header = decoded
            covered = decoded.resumedFrom
            return
        }
        switch record.kind {
        case .header: throw .inconsistent("record \(number) is a second header")
        case .data, .zero:
            try continues(record, number)
            if record.kind == .data {
                guard record.length > 0, record.length <= StreamRecord.maximumDataLength else {
                    throw .inconsistent("data record \(number) stands for \(record.length) bytes")
                }
                if !record.flags.contains(.zstd) && UInt64(record.payload.count) != record.length {
                    throw .inconsistent(
                        "data record \(number) carries \(record.payload.count) bytes for \(record.length)")
                }
                dataBytes += record.length
            }
            let (end, overflow) = record.offset.addingReportingOverflow(record.length)
            guard !overflow, end <= header.filesystemBytes else {
                throw .inconsistent("record \(number) reaches past the filesystem's \(header.filesystemBytes) bytes")
            }
            covered = end
        case .checkpoint:
            try continues(record, number)
            guard record.length == dataBytes else {
                throw .inconsistent("checkpoint \(number) counts \(record.length) data bytes, \(dataBytes) came")
            }
        case .end:
            try continues(record, number)
            guard covered == header.filesystemBytes, record.length == dataBytes else {
                throw .inconsistent(
                    "the end record at byte \(covered) with \(record.length) data bytes; the filesystem has "
                        + "\(header.filesystemBytes) bytes and \(dataBytes) data bytes came")
            }
            ended = true
        case .failure: break
        }
    }

    private func continues(_ record: StreamRecord, _ number: UInt32) throws(StreamError) {
        if record.offset > covered { throw .gap(record: number, expected: covered, found: record.offset) }
        if record.offset < covered { throw .backwards(record: number, expected: covered, found: record.offset) }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
