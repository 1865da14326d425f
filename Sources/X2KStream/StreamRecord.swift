import CDecompress

/// The `x2k` transport's framed stream: what `xen2kvm send` on the Xen host writes and the KVM
/// side reads. Every record has the same 36-byte frame (little-endian) and its own checksum:
///
///     0  "X2KR"          4  kind     5  flags     6  reserved (2)
///     8  payload bytes (u32)        12  sequence number (u32, from 0)
///    16  offset (u64)               24  length (u64)
///    32  CRC-32 of bytes 0..<32 and of the payload (u32)
///
/// Offsets are filesystem offsets, and they only increase: the records after the header cover
/// the filesystem from the header's `resumedFrom` to its end without a gap (data, or a zero
/// range), with checkpoints between them, then `end`. Anything else is a damaged stream.
public struct StreamRecord: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        /// The first record: `StreamHeader` as JSON; offset = where the data starts.
        case header = 1
        /// Bytes at offset (payload; zstd-compressed when flagged); length = uncompressed.
        case data = 2
        /// A range not sent: free space, or (flag `mustReadAsZero`) blocks that must read as
        /// zeros in the target (unused inode tables, a clean journal's log).
        case zero = 3
        /// Everything before offset is sent; length = data bytes sent so far in this stream.
        case checkpoint = 4
        /// The last record: offset = the filesystem's size, length = data bytes in this stream.
        case end = 5
        /// The sender could not go on: payload = its message (UTF-8).
        case failure = 6
    }

    public struct Flags: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let zstd = Flags(rawValue: 1)
        public static let mustReadAsZero = Flags(rawValue: 2)
    }

    public var kind: Kind
    public var flags: Flags = []
    public var sequence: UInt32 = 0
    public var offset: UInt64 = 0
    public var length: UInt64 = 0
    public var payload: [UInt8] = []

    public init(
        kind: Kind, flags: Flags = [], sequence: UInt32 = 0, offset: UInt64 = 0, length: UInt64 = 0,
        payload: [UInt8] = []
    ) {
        self.kind = kind
        self.flags = flags
        self.sequence = sequence
        self.offset = offset
        self.length = length
        self.payload = payload
    }

    public static let magic: [UInt8] = Array("X2KR".utf8)
    public static let frameBytes = 36
    /// The largest payload a record may carry: bounds what either side holds in memory.
    public static let maximumPayload = 8 << 20
    /// The most bytes one data record may stand for (after decompression).
    public static let maximumDataLength: UInt64 = 8 << 20

    /// The record as it goes on the wire.
    public func encoded() -> [UInt8] {
        payload.withUnsafeBytes { payload in frame(for: payload) + Array(payload) }
    }

    /// The frame that goes on the wire before `payload` (this record's own is not used): a
    /// sender writes the two without joining them, one copy of the data fewer.
    public func frame(for payload: UnsafeRawBufferPointer) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.frameBytes)
        bytes += Self.magic
        bytes += [kind.rawValue, flags.rawValue, 0, 0]
        bytes.appendLittleEndian(UInt32(payload.count))
        bytes.appendLittleEndian(sequence)
        bytes.appendLittleEndian(offset)
        bytes.appendLittleEndian(length)
        let checksum = bytes.withUnsafeBytes { Checksum.crc32($0, then: payload) }
        bytes.appendLittleEndian(checksum)
        return bytes
    }
}

/// CRC-32 (zlib's): catches a damaged byte anywhere in a record.
public enum Checksum {
    public static func crc32(_ first: [UInt8], then second: [UInt8] = []) -> UInt32 {
        first.withUnsafeBytes { first in second.withUnsafeBytes { crc32(first, then: $0) } }
    }

    public static func crc32(_ first: UnsafeRawBufferPointer, then second: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CDecompress.crc32(0, nil, 0)
        for part in [first, second] where !part.isEmpty {
            crc = CDecompress.crc32(crc, part.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(part.count))
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
