import Conversion
import ExtFS
import Foundation
import TestSupport

/// Shared steps of the conversion tests.
enum Convert {
    /// Plans and runs a conversion with `configure` applied to the options.
    @discardableResult
    static func run(
        _ source: String, _ target: String, _ configure: (inout ConvertOptions) -> Void = { _ in }
    ) async throws -> (ConversionPlan, ConversionResult) {
        var options = ConvertOptions(source: source, target: target)
        configure(&options)
        let plan = try Planner.plan(options)
        let result = try await Converter.run(plan, progress: SilentProgress())
        return (plan, result)
    }

    /// The used-block runs of the filesystem at `offset` and a hash of their bytes in order.
    static func usedData(_ image: String, offset: UInt64 = 0) throws -> (runs: [Range<UInt64>], hash: UInt64) {
        let fs = try ExtFilesystem(path: image, offset: offset)
        let runs = try fs.usedBlockRuns()
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
        defer { try? handle.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let blockSize = UInt64(fs.blockSize)
        for run in runs {
            try handle.seek(toOffset: offset + run.lowerBound * blockSize)
            var left = UInt64(run.count) * blockSize
            while left > 0 {
                let data = try handle.read(upToCount: Int(min(left, 4 << 20))) ?? Data()
                if data.isEmpty { break }
                for byte in data {
                    hash ^= UInt64(byte)
                    hash = hash &* 0x100_0000_01b3
                }
                left -= UInt64(data.count)
            }
        }
        return (runs, hash)
    }

    /// Bytes the file really occupies on disk.
    static func allocatedBytes(_ path: String) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return UInt64(info.st_blocks) * 512
    }

    /// A small tree with the kinds of files guests have: many small, some large, a symlink,
    /// a hard link.
    static func sampleTree(in dir: TemporaryDirectory) throws -> String {
        let tree = dir.file("tree")
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(tree)/etc", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(tree)/var/lib", withIntermediateDirectories: true)
        for index in 0..<300 {
            let text = String(repeating: "line \(index)\n", count: index % 40 + 1)
            try text.write(toFile: "\(tree)/etc/file\(index).conf", atomically: false, encoding: .utf8)
        }
        var generator = SystemRandomNumberGenerator()
        for (name, size) in [("big", 3 << 20), ("medium", 300_000)] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: URL(fileURLWithPath: "\(tree)/var/lib/\(name)"))
        }
        try fm.createSymbolicLink(atPath: "\(tree)/etc/link", withDestinationPath: "file1.conf")
        try fm.linkItem(atPath: "\(tree)/var/lib/medium", toPath: "\(tree)/var/lib/medium-hardlink")
        return tree
    }
}
