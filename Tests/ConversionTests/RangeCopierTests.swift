import Foundation
import SystemPackage
import TestSupport
import Testing

@testable import Conversion

/// The copy engine on its own: the reader thread's ring, O_DIRECT writes where aligned and
/// page-cache writes where not, zero pieces skipped, and a short source reported.
@Suite struct RangeCopierTests {
    /// Random bytes with a zeroed stretch, so zero skipping has something to skip.
    static func sourceFile(_ dir: TemporaryDirectory, bytes: Int) throws -> (path: String, data: [UInt8]) {
        var data = [UInt8](FileHandle(forReadingAtPath: "/dev/urandom")!.readData(ofLength: bytes))
        for index in (bytes / 3)..<(bytes / 3 + 300_000) { data[index] = 0 }
        let path = dir.file("source.bin")
        try Data(data).write(to: URL(fileURLWithPath: path))
        return (path, data)
    }

    static func copy(
        _ segments: [RangeCopier.Segment], from source: String, to target: String, skipZeros: Bool,
        direct: Bool = true
    ) throws -> RangeCopier {
        let input = try FileDescriptor.open(FilePath(source), .readOnly)
        defer { try? input.close() }
        let output = try FileDescriptor.open(FilePath(target), .writeOnly)
        defer { try? output.close() }
        // Small buffers and two slots: many pieces per segment, and the reader waits on the writer.
        let copier = RangeCopier(
            source: input, target: output, tryKernelCopy: false, progress: SilentProgress(), chunkBytes: 64 << 10,
            slots: 2, directWrites: direct)
        defer { copier.finish() }
        try copier.copyAll(segments, skipZeros: skipZeros)
        return copier
    }

    /// Aligned and unaligned offsets and lengths (1 KiB blocks, odd sizes) land byte for byte
    /// where they belong, through O_DIRECT or the page cache; the rest of the target is untouched.
    @Test(arguments: [true, false], [true, false])
    func segmentsLandWhereTheyBelong(skipZeros: Bool, direct: Bool) throws {
        let dir = try TemporaryDirectory()
        let (source, data) = try Self.sourceFile(dir, bytes: 3 << 20)
        let target = dir.file("target.bin")
        let old: UInt8 = skipZeros ? 0 : 0xAA
        try Data(repeating: old, count: 5 << 20).write(to: URL(fileURLWithPath: target))
        let segments: [RangeCopier.Segment] = [
            .init(source: 0, target: 1 << 20, length: 1 << 20),  // aligned: O_DIRECT
            .init(source: 1_049_600, target: 2_098_176, length: 700_416),  // 1 KiB-aligned only
            .init(source: 2_000_001, target: 4 << 20, length: 77_777),  // odd everything
        ]
        let copier = try Self.copy(segments, from: source, to: target, skipZeros: skipZeros, direct: direct)

        let result = [UInt8](try Data(contentsOf: URL(fileURLWithPath: target)))
        var expected = [UInt8](repeating: old, count: 5 << 20)
        for segment in segments {
            let from = Int(segment.source)
            let into = Int(segment.target)
            expected.replaceSubrange(into..<into + Int(segment.length), with: data[from..<from + Int(segment.length)])
        }
        #expect(result == expected)
        let total = segments.reduce(0) { $0 + $1.length }
        #expect(copier.bytesDone == total)
        // The zeroed stretch lies in the first segment: skipped on a zeroed target, written otherwise.
        #expect(skipZeros ? copier.bytesWritten < total : copier.bytesWritten == total)
    }

    @Test func shortSourceIsReported() throws {
        let dir = try TemporaryDirectory()
        let (source, _) = try Self.sourceFile(dir, bytes: 1 << 20)
        let target = dir.file("target.bin")
        try Data(count: 4 << 20).write(to: URL(fileURLWithPath: target))
        #expect {
            _ = try Self.copy(
                [.init(source: 0, target: 0, length: 2 << 20)], from: source, to: target, skipZeros: false)
        } throws: { error in
            "\(error)".contains("ended early")
        }
    }
}
