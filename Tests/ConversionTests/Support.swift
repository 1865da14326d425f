import Conversion
import ExtFS
import Foundation
import Inspection
import PartitionTable
import TestSupport
import Testing

/// Shared steps of BlockLayoutTests, ExtVariantTests, RefusalTests, CloneTests and DryRunTests:
/// building sources, running the library, and the measurements every suite compares
/// (used-block data, allocated bytes, fsck, the table the host tools read).
///
/// A namespace of its own, so these helpers never collide with other test files of the target.
enum Harness {
    /// The Linux filesystem partition type GUID sfdisk and sgdisk print.
    static let linuxGPTType = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

    // MARK: Sources

    /// An ext image made from one of the repository's guest trees (`Fixtures/<fixture>`).
    static func fixtureImage(
        _ fixture: String = "centos6", in dir: TemporaryDirectory, name: String = "source.img",
        type: String = "ext4", size: String = "64M"
    ) async throws -> String {
        let image = dir.file(name)
        try await Fixtures.makeImage(from: Fixtures.tree(fixture), at: image, type: type, size: size)
        return image
    }

    /// A tree with what real guests have: a few hundred small files in nested directories,
    /// some large ones (several block groups' worth of extents), a symlink and a hard link.
    /// Large files hold random bytes, so a block landing at the wrong place changes the hash.
    static func sampleTree(in dir: TemporaryDirectory) throws -> String {
        let tree = dir.file("tree")
        let fm = FileManager.default
        for sub in ["etc/conf.d", "usr/lib/app", "var/lib/db", "home/user"] {
            try fm.createDirectory(atPath: "\(tree)/\(sub)", withIntermediateDirectories: true)
        }
        for index in 0..<320 {
            let folder = ["etc", "etc/conf.d", "usr/lib/app", "home/user"][index % 4]
            let text = String(repeating: "setting\(index)=value \(index)\n", count: index % 50 + 1)
            try text.write(toFile: "\(tree)/\(folder)/file\(index).conf", atomically: false, encoding: .utf8)
        }
        for (name, size) in [
            ("usr/lib/app/big.bin", 3 << 20), ("var/lib/db/data.db", 1 << 20), ("var/lib/db/small", 70_000),
        ] {
            try randomBytes(size).write(to: URL(fileURLWithPath: "\(tree)/\(name)"))
        }
        try fm.createSymbolicLink(atPath: "\(tree)/etc/link.conf", withDestinationPath: "conf.d/file1.conf")
        try fm.linkItem(atPath: "\(tree)/var/lib/db/data.db", toPath: "\(tree)/var/lib/db/data.db.hardlink")
        return tree
    }

    /// `count` random bytes from the kernel (fast even in a debug build).
    static func randomBytes(_ count: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? handle.close() }
        var data = Data()
        while data.count < count {
            data += try handle.read(upToCount: count - data.count) ?? Data()
        }
        return data
    }

    /// `mke2fs -q -F -d TREE OPTIONS IMAGE SIZE`: an ext image with chosen features.
    static func makeImage(from tree: String, at image: String, options: [String], size: String = "48M")
        async throws
    {
        try await Command.check("mke2fs", ["-q", "-F", "-d", tree] + options + [image, size])
    }

    /// A sparse file of `bytes` (all zeros, nothing allocated).
    static func sparseFile(_ path: String, bytes: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), truncate(path, off_t(bytes)) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    /// A file of `bytes`, every byte `value`: old data that must not survive where it matters.
    static func filledFile(_ path: String, bytes: Int, value: UInt8) throws {
        try Data(repeating: value, count: bytes).write(to: URL(fileURLWithPath: path))
    }

    /// An already partitioned disk, made like Tests/InspectionTests/PartitionedSourceTests: a
    /// dos or gpt table with partition 1 at sector 2048, an ext4 of a guest tree written there
    /// with `mke2fs -E offset=1048576`. 72 MiB, sparse. A gpt one has a BIOS boot partition 2
    /// before partition 1 (a GPT guest disk without one is refused: `biosBoot: false`).
    static func partitionedDisk(
        in dir: TemporaryDirectory, label: String = "dos", name: String = "partitioned.img", biosBoot: Bool = true
    ) async throws -> String {
        let image = dir.file(name)
        try sparseFile(image, bytes: 72 << 20)
        let type = label == "dos" ? "83" : linuxGPTType
        var script = "label: \(label)\\n"
        if label == "gpt" && biosBoot { script += "first-lba: 34\\n" }
        script += "start=2048, size=131072, type=\(type)\\n"
        if label == "gpt" && biosBoot { script += "start=34, size=2014, type=\(SourcePartition.biosBootGUID)\\n" }
        try await Command.check("sh", ["-c", "printf '\(script)' | sfdisk -q \(image)"])
        try await Fixtures.makeImage(
            from: Fixtures.tree("debian12-grub2"), at: image, size: "65536", extraOptions: ["-E", "offset=1048576"])
        return image
    }

    // MARK: Running

    /// Options for `source` → `target` with `configure` applied.
    static func options(_ source: String, _ target: String, _ configure: (inout ConvertOptions) -> Void = { _ in })
        -> ConvertOptions
    {
        var options = ConvertOptions(source: source, target: target)
        configure(&options)
        return options
    }

    /// Plans and runs a conversion; the plan must not refuse.
    @discardableResult
    static func convert(
        _ source: String, _ target: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ configure: (inout ConvertOptions) -> Void = { _ in }
    ) async throws -> (plan: ConversionPlan, result: ConversionResult) {
        let plan = try Planner.plan(options(source, target, configure))
        #expect(
            plan.refusal == nil, "unexpected refusal: \(plan.refusal?.detail ?? "")", sourceLocation: sourceLocation)
        let result = try await Converter.run(plan, progress: SilentProgress())
        return (plan, result)
    }

    /// Why the library refuses a request: a failed check of the plan (`check` names it), or a
    /// `.refused` the planner threw (`check` is nil: the request could not even be planned).
    struct Refusal: CustomStringConvertible {
        var check: String?
        var detail: String
        var description: String { "\(check ?? "planner"): \(detail)" }
    }

    /// Plans `source` → `target` and returns the refusal, nil when the plan would run. Any error
    /// other than `.refused` (a failure, a crash of the planner) is recorded as an issue.
    static func refusal(
        _ source: String, _ target: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ configure: (inout ConvertOptions) -> Void = { _ in }
    ) -> Refusal? {
        do {
            return try Planner.plan(options(source, target, configure)).refusal.map {
                Refusal(check: $0.name, detail: $0.detail)
            }
        } catch {
            guard case .refused(let text) = error else {
                Issue.record("the planner failed instead of refusing: \(error)", sourceLocation: sourceLocation)
                return nil
            }
            return Refusal(check: nil, detail: text)
        }
    }

    /// Hands a refusing plan to the converter itself: it must throw `.refused` before writing
    /// (the CLI is not the only caller that could skip the check).
    static func converterRefuses(_ plan: ConversionPlan) async -> Bool {
        do {
            _ = try await Converter.run(plan, progress: SilentProgress())
            return false
        } catch {
            if case .refused = error { return true }
            return false
        }
    }

    // MARK: Measuring

    /// The used blocks of a filesystem and their content: what a block copy must reproduce.
    struct UsedData: Equatable, CustomStringConvertible {
        var blockSize: Int
        var runs: [Range<UInt64>]
        var bytes: UInt64
        var hash: UInt64
        var description: String {
            "\(runs.count) runs, \(bytes) bytes of \(blockSize)-byte blocks, hash \(String(hash, radix: 16))"
        }
    }

    /// Opens the filesystem at `offset` of `image`, lists its used-block runs, and hashes the
    /// bytes of those blocks read in run order with plain file reads at offset + block × size
    /// (not through libext2fs, so the check does not share the converter's reading code).
    static func usedData(image: String, offset: UInt64 = 0) throws -> UsedData {
        let fs = try ExtFilesystem(path: image, offset: offset)
        let runs = try fs.usedBlockRuns()
        let blockSize = UInt64(fs.blockSize)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
        defer { try? handle.close() }
        var hasher = Hash64()
        var total: UInt64 = 0
        for run in runs {
            try handle.seek(toOffset: offset + run.lowerBound * blockSize)
            var left = UInt64(run.count) * blockSize
            while left > 0 {
                let data = try handle.read(upToCount: Int(min(left, 8 << 20))) ?? Data()
                guard !data.isEmpty else {
                    throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: image])
                }
                hasher.add(data)
                left -= UInt64(data.count)
                total += UInt64(data.count)
            }
        }
        return UsedData(blockSize: Int(blockSize), runs: runs, bytes: total, hash: hasher.value)
    }

    /// A 64-bit FNV-1a style hash taken 8 bytes at a time (a byte loop is too slow in debug
    /// builds for tens of MiB). Data chunks are multiples of the block size, so word
    /// boundaries do not depend on how reads split.
    struct Hash64 {
        private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ data: Data) {
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset + 8 <= raw.count {
                    mix(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    offset += 8
                }
                while offset < raw.count {
                    mix(UInt64(raw[offset]))
                    offset += 1
                }
            }
        }

        private mutating func mix(_ word: UInt64) {
            value = (value ^ word) &* 0x100_0000_01b3
            value ^= value >> 31
        }
    }

    /// Bytes the file really occupies on disk (`st_blocks` × 512): the measure of sparseness.
    static func allocatedBytes(_ path: String) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return UInt64(info.st_blocks) * 512
    }

    /// The apparent size of a file.
    static func fileSize(_ path: String) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return UInt64(info.st_size)
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// `e2fsck -fn` on the filesystem at `offset`: through `IMAGE?offset=N` as an operator
    /// would; for an mmp filesystem (whose MMP block e2fsck reads ignoring the offset) through
    /// an offset loop device, which needs root.
    static func fsck(_ image: String, offset: UInt64, length: UInt64? = nil) async throws -> CommandResult {
        let mmp = try ExtFilesystem(path: image, offset: offset).facts().features.contains("mmp")
        guard mmp else { return try await Command.run("e2fsck", ["-fn", "\(image)?offset=\(offset)"]) }
        return try await withLoopDevice(image, offset: offset, sizeLimit: length, readOnly: true) { device in
            try await Command.run("e2fsck", ["-fn", device])
        }
    }

    /// `sfdisk --json PATH`'s "partitiontable" object.
    static func sfdiskTable(_ path: String) async throws -> [String: Any] {
        let json = try await Command.check("sfdisk", ["--json", path]).stdout
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return try #require(object?["partitiontable"] as? [String: Any], "sfdisk --json: \(json)")
    }

    /// The `NAME="VALUE"` pairs `blkid -p` prints (blkid exits 2 when it finds nothing).
    static func blkid(_ path: String) async throws -> [String: String] {
        let output = try await Command.run("blkid", ["-p", "-o", "export", path]).stdout
        var tags: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            tags[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return tags
    }

    // MARK: Devices and mounts (root)

    /// A loop device over `file` for the body, always detached (TestSupport's helper).
    static func withLoopDevice<T>(
        _ file: String, offset: UInt64 = 0, sizeLimit: UInt64? = nil, readOnly: Bool = false,
        _ body: (String) async throws -> T
    ) async throws -> T {
        try await TestSupport.withLoopDevice(file, offset: offset, sizeLimit: sizeLimit, readOnly: readOnly, body)
    }

    /// Mounts `image` with `mount -o OPTIONS` on a new directory for the body, and unmounts it
    /// on every path (a `-o loop` mount's loop device goes with it: autoclear).
    static func withMount<T>(
        _ image: String, options: String, in dir: TemporaryDirectory, _ body: (String) async throws -> T
    ) async throws -> T {
        let point = dir.file("mnt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        try await Command.check("mount", ["-o", options, image, point])
        do {
            let result = try await body(point)
            try await Command.check("umount", [point])
            return result
        } catch {
            _ = try? await Command.run("umount", [point])
            throw error
        }
    }
}
