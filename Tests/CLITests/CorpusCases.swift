import Foundation

/// SplitMix64: small, fast, and the same numbers on every platform for a seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One damaged image of the corpus: which base image, and the writes (or the cut) that damage it.
///
/// Each case has a generator of its own, seeded from the corpus seed and its number, so one
/// case is rebuilt without the others (`XEN2KVM_CORPUS_CASE`).
struct DamageCase: Sendable, CustomStringConvertible {
    var number: Int
    var image: String
    var edits: [Edit]
    /// Where the image is cut short instead, if it is.
    var truncation: Int?

    struct Edit: Sendable {
        var offset: Int
        var bytes: [UInt8]
        /// "superblock +0x58: bit 3 flipped"
        var what: String
    }

    var description: String {
        let damage = truncation.map { ["cut at byte \($0)"] } ?? edits.map(\.what)
        return "case \(number) on \(image): \(damage.joined(separator: "; "))"
    }

    /// The damaged bytes of `base`.
    func apply(to base: [UInt8]) -> [UInt8] {
        if let truncation { return Array(base.prefix(truncation)) }
        var bytes = base
        for edit in edits {
            for (index, byte) in edit.bytes.enumerated() where edit.offset + index < bytes.count {
                bytes[edit.offset + index] = byte
            }
        }
        return bytes
    }

    /// Case `number` of the corpus `seed` over `images` (taken in turn).
    static func make(_ number: Int, seed: UInt64, images: [CorpusImage]) -> DamageCase {
        var random = SeededGenerator(seed: seed ^ (UInt64(number) &* 0xD1B5_4A32_D192_ED03))
        let image = images[number % images.count]
        // One case in ten cuts the image short: anywhere, or just inside a structure.
        if Int.random(in: 0..<10, using: &random) == 0 {
            let near = image.regions.randomElement(using: &random)!.ranges[0]
            let cut =
                Bool.random(using: &random)
                ? Int.random(in: 0..<image.bytes.count, using: &random)
                : Int.random(in: near, using: &random)
            return DamageCase(number: number, image: image.name, edits: [], truncation: cut)
        }
        // The superblock and the initrd (what every later step is sized from, and the one file
        // parsed byte by byte) count three times, the initrd's inode twice.
        let weighted = image.regions.flatMap { region in
            let weight = region.name == "superblock" || region.name.hasPrefix("data /boot/init") ? 3 : 1
            return Array(repeating: region, count: region.name.hasPrefix("inode /boot/init") ? 2 : weight)
        }
        let count = [1, 1, 1, 2, 3].randomElement(using: &random)!
        let edits = (0..<count).map { _ in
            edit(in: weighted.randomElement(using: &random)!, of: image.bytes, using: &random)
        }
        return DamageCase(number: number, image: image.name, edits: edits, truncation: nil)
    }

    /// Values that sit on the edges of what a field can hold (cut to the field's width).
    static let edgeValues: [UInt32] = [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
    ]
    /// cpio newc header fields (8 ASCII hex digits) that parse to something hostile; -78 takes
    /// the first entry's next header back onto itself.
    static let hostileCpioFields = ["-0000001", "-0000078", "-0000100", "FFFFFFFF", "7FFFFFFF", "+0000100", "zzzzzzzz"]

    /// How many bytes at the start of a region hold the fields that are read: the superblock's
    /// up to its 64-bit counts and flex_bg size, group 0's descriptor, an inode's mode, sizes,
    /// flags and block map or extent root, a tree block's header and first entries, a
    /// directory's first entries, the journal superblock's header.
    static func hotBytes(of region: String) -> Int {
        let prefixes: [(String, Int)] = [
            ("superblock", 0x180), ("group descriptors", 64), ("inode ", 0x70), ("tree ", 48),
            ("directory ", 64), ("journal superblock", 64),
        ]
        return prefixes.first { region.hasPrefix($0.0) }?.1 ?? Int.max / 2
    }

    private static func edit(
        in region: CorpusImage.Region, of base: [UInt8], using random: inout SeededGenerator
    ) -> Edit {
        let range = region.ranges.randomElement(using: &random)!
        // Half the edits go to the fields code reads (`hotBytes`), not to unused space.
        let hot = hotBytes(of: region.name)
        let span =
            Bool.random(using: &random) ? range.lowerBound..<min(range.upperBound, range.lowerBound + hot) : range
        var offset = Int.random(in: span, using: &random)
        func at() -> String { "\(region.name) +0x\(String(offset - range.lowerBound, radix: 16))" }
        let plainCpio = region.name.hasPrefix("data ") && base[range].starts(with: Array("0707".utf8))
        switch Int.random(in: 0..<20, using: &random) {
        case 0..<8 where plainCpio:
            // A header field of the initrd's first (plain) cpio archive.
            // Mostly the file and name sizes, the fields the reader goes by.
            let field =
                Bool.random(using: &random)
                ? Int.random(in: 0..<13, using: &random) : [6, 11].randomElement(using: &random)!
            let text = hostileCpioFields.randomElement(using: &random)!
            offset = range.lowerBound + 6 + 8 * field
            return Edit(offset: offset, bytes: Array(text.utf8), what: "\(at()): cpio field \(field) = \(text)")
        case 0..<7:
            let bit = Int.random(in: 0..<8, using: &random)
            return Edit(offset: offset, bytes: [base[offset] ^ (1 << bit)], what: "\(at()): bit \(bit) flipped")
        case 7..<10:
            let count = Int.random(in: 1...4, using: &random)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            return Edit(offset: offset, bytes: bytes, what: "\(at()): bytes \(bytes)")
        case 10..<18:
            // A little-endian field of 1, 2 or 4 bytes, aligned to its width.
            let width = [1, 2, 4].randomElement(using: &random)!
            offset &= ~(width - 1)
            let value = edgeValues.randomElement(using: &random)!
            let bytes = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
            return Edit(offset: offset, bytes: bytes, what: "\(at()): \(width)-byte field = \(bytes)")
        default:
            let length = min(Int.random(in: 16...256, using: &random), range.upperBound - offset)
            return Edit(
                offset: offset, bytes: [UInt8](repeating: 0, count: length), what: "\(at()): \(length) bytes zeroed")
        }
    }
}
