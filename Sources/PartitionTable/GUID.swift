/// A 128-bit GPT identifier (type, disk or partition GUID).
///
/// The text form "0FC63DAF-8483-4772-8E79-3D69D8477DE4" reads as big-endian fields, but GPT
/// stores the first three fields little-endian ("mixed endian"); `diskBytes` and
/// `init(diskBytes:)` do that conversion so no other code has to.
public struct GUID: Sendable, Hashable, Codable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// The 16 bytes in text order (as written left to right in the text form).
    public let bytes: [UInt8]

    /// The all-zero GUID, which marks an unused GPT entry.
    public static let zero = GUID(textOrderBytes: [UInt8](repeating: 0, count: 16))!

    /// Wraps 16 bytes in text order; nil for any other count.
    public init?(textOrderBytes: [UInt8]) {
        guard textOrderBytes.count == 16 else { return nil }
        bytes = textOrderBytes
    }

    /// Parses "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" (any case, optional braces).
    public init?(_ text: String) {
        var hex = Substring(text)
        if hex.hasPrefix("{") && hex.hasSuffix("}") { hex = hex.dropFirst().dropLast() }
        let groups = hex.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
            groups.allSatisfy({ $0.allSatisfy(\.isHexDigit) })
        else { return nil }
        var parsed: [UInt8] = []
        for group in groups {
            var index = group.startIndex
            while index < group.endIndex {
                let next = group.index(index, offsetBy: 2)
                guard let byte = UInt8(group[index..<next], radix: 16) else { return nil }
                parsed.append(byte)
                index = next
            }
        }
        bytes = parsed
    }

    /// Decodes the GPT on-disk form: first three fields little-endian, the rest as is.
    public init?(diskBytes: some Collection<UInt8>) {
        let raw = Array(diskBytes)
        guard raw.count == 16 else { return nil }
        bytes = GUID.swapMixedEndian(raw)
    }

    /// A random version-4 GUID (RFC 4122 variant) for a new disk or partition.
    public static func random() -> GUID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A random version-4 GUID from `generator` (tests pass a seeded one).
    public static func random(using generator: inout some RandomNumberGenerator) -> GUID {
        var raw = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        return GUID(textOrderBytes: raw)!
    }

    /// The 16 bytes as GPT stores them.
    public var diskBytes: [UInt8] { GUID.swapMixedEndian(bytes) }

    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }

    /// Upper-case text form, as sfdisk and sgdisk print GUIDs.
    public var description: String {
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16]
            .map { hex[$0].joined() }
            .joined(separator: "-")
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let guid = GUID(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a GUID: \(text)")
        }
        self = guid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// A GUID from a literal known to be valid (the named type GUIDs).
    static func constant(_ text: StaticString) -> GUID {
        guard let guid = GUID("\(text)") else { fatalError("invalid GUID literal \(text)") }
        return guid
    }

    /// Reverses bytes 0-3, 4-5 and 6-7; the same operation converts either way.
    private static func swapMixedEndian(_ raw: [UInt8]) -> [UInt8] {
        Array(raw[0..<4].reversed()) + Array(raw[4..<6].reversed())
            + Array(raw[6..<8].reversed()) + Array(raw[8..<16])
    }
}
