/// The file names inside an initrd/initramfs, for checking which drivers it carries.
///
/// An initrd is one or more newc cpio archives, each plain or compressed; Debian and
/// Ubuntu put an uncompressed early-microcode archive first and the compressed main archive
/// after it. Only names are kept: that is all the virtio check needs.
public struct InitrdContents: Sendable, Equatable {
    public var fileNames: [String]
    /// The compressions met, in order ("none" for a plain archive).
    public var compressions: [String]

    /// True when a module file for `module` (e.g. "virtio_blk") is inside, any compression.
    public func hasModule(_ module: String) -> Bool {
        fileNames.contains { path in
            let base = path.split(separator: "/").last.map(String.init) ?? path
            return base == "\(module).ko" || base.hasPrefix("\(module).ko.")
        }
    }

    public static func read(_ bytes: [UInt8]) throws -> InitrdContents {
        var contents = InitrdContents(fileNames: [], compressions: [])
        var offset = 0
        while offset < bytes.count {
            // Archives are padded to 4 bytes (often to 512) with zeros.
            while offset < bytes.count && bytes[offset] == 0 { offset += 1 }
            guard offset < bytes.count else { break }
            let rest = bytes[offset...]
            if rest.starts(with: Array("0707".utf8)) {
                let (names, end) = try CpioNewc.names(in: rest)
                contents.fileNames += names
                contents.compressions.append("none")
                offset = end
            } else if let kind = Compression.detect(rest) {
                let expanded = try Decompressor.expand(rest, as: kind)
                contents.compressions.append(kind.rawValue)
                var inner = expanded[...]
                while let start = inner.firstIndex(where: { $0 != 0 }),
                    inner[start...].starts(with: Array("0707".utf8))
                {
                    let (names, end) = try CpioNewc.names(in: inner[start...])
                    contents.fileNames += names
                    inner = inner[end...]
                }
                break  // what follows a compressed stream cannot be located without its length
            } else {
                throw InitrdError.unknownFormat(offset: offset)
            }
        }
        return contents
    }
}

public enum InitrdError: Error, CustomStringConvertible {
    case unknownFormat(offset: Int)
    case truncatedArchive(offset: Int)
    case damagedHeader(offset: Int)

    public var description: String {
        switch self {
        case .unknownFormat(let offset): return "neither cpio nor a known compression at byte \(offset)"
        case .truncatedArchive(let offset): return "cpio archive cut short at byte \(offset)"
        case .damagedHeader(let offset): return "cpio header at byte \(offset) is damaged (a field is not 8 hex digits)"
        }
    }
}

/// The "newc" cpio format (magic 070701, or 070702 with checksums): a 110-byte ASCII-hex
/// header, the NUL-terminated name, padding to 4 bytes, the data, padding to 4 bytes.
enum CpioNewc {
    static let headerLength = 110

    /// Names in the archive starting at `archive.startIndex`, and the index just past its trailer.
    static func names(in archive: ArraySlice<UInt8>) throws -> ([String], Int) {
        var names: [String] = []
        var offset = archive.startIndex
        while true {
            guard offset + headerLength <= archive.endIndex else {
                throw InitrdError.truncatedArchive(offset: offset)
            }
            guard
                archive[offset..<offset + 6].elementsEqual(Array("070701".utf8))
                    || archive[offset..<offset + 6].elementsEqual(Array("070702".utf8))
            else {
                throw InitrdError.truncatedArchive(offset: offset)
            }
            let fileSize = try field(6, of: archive, header: offset)
            let nameSize = try field(11, of: archive, header: offset)
            let nameStart = offset + headerLength
            guard nameSize > 0, nameStart + nameSize <= archive.endIndex else {
                throw InitrdError.truncatedArchive(offset: offset)
            }
            let name = String(decoding: archive[nameStart..<nameStart + nameSize - 1], as: UTF8.self)
            let dataStart = align4(nameStart + nameSize, base: archive.startIndex)
            let next = align4(dataStart + fileSize, base: archive.startIndex)
            if name == "TRAILER!!!" { return (names, min(next, archive.endIndex)) }
            names.append(name)
            offset = next
        }
    }

    /// Header field `index`: exactly 8 hex digits. Int(_:radix:) would also take a sign, and a
    /// negative size from a damaged header sends the next header backwards (out of the
    /// archive, or onto itself for ever).
    private static func field(_ index: Int, of archive: ArraySlice<UInt8>, header: Int) throws -> Int {
        let start = header + 6 + index * 8
        var value = 0
        for byte in archive[start..<start + 8] {
            guard let digit = Character(UnicodeScalar(byte)).hexDigitValue else {
                throw InitrdError.damagedHeader(offset: header)
            }
            value = value << 4 | digit
        }
        return value
    }

    private static func align4(_ value: Int, base: Int) -> Int {
        let relative = value - base
        return base + (relative + 3) & ~3
    }
}
