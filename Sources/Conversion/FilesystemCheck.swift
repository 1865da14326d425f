import ExtFS
import HostSystem

/// Runs e2fsck on the filesystem inside the target at its partition offset, read-only
/// (`-fn`) to verify, or `-fy` to repair a copy.
///
/// e2fsprogs accept `PATH?offset=N`, except for one thing: with the mmp feature, e2fsck reads
/// the MMP block through a descriptor of its own that ignores the offset, and reports a bad
/// MMP magic on a perfect copy. Such filesystems are checked through an offset loop device.
public enum FilesystemCheck {
    public struct Outcome: Sendable, Codable, Equatable {
        public var clean: Bool
        public var exitStatus: Int32
        /// The last lines e2fsck printed, for the report.
        public var output: String
    }

    public static func run(_ path: String, offset: UInt64, length: UInt64? = nil, repair: Bool = false)
        async throws(ConversionError) -> Outcome
    {
        let mmp =
            offset > 0 && ((try? ExtFilesystem(path: path, offset: offset).facts().features.contains("mmp")) ?? false)
        guard mmp else {
            return try await check(offset > 0 ? "\(path)?offset=\(offset)" : path, repair: repair)
        }
        let loops = LoopMounts()
        defer { loops.release() }
        let device = try await Host.attach(loops, path, offset: offset, length: length, readOnly: !repair)
        return try await check(device, repair: repair)
    }

    private static func check(_ device: String, repair: Bool) async throws(ConversionError) -> Outcome {
        let result = try await Host.run("e2fsck", [repair ? "-fy" : "-fn", device], package: "e2fsprogs")
        // -fn: 0 is clean. -fy: 0 clean, 1 errors corrected — the copy is then repaired.
        let clean = result.status == 0 || (repair && result.status == 1)
        return Outcome(clean: clean, exitStatus: result.status, output: result.tail)
    }
}
