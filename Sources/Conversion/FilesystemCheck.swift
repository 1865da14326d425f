/// Runs e2fsck on the filesystem inside the target (at its partition offset; e2fsprogs
/// accept `PATH?offset=N`), read-only (`-fn`) to verify, or `-fy` to repair a copy.
public enum FilesystemCheck {
    public struct Outcome: Sendable, Codable, Equatable {
        public var clean: Bool
        public var exitStatus: Int32
        /// The last lines e2fsck printed, for the report.
        public var output: String
    }

    public static func run(_ path: String, offset: UInt64, repair: Bool = false) async throws(ConversionError)
        -> Outcome
    {
        let device = offset > 0 ? "\(path)?offset=\(offset)" : path
        let result = try await HostTool.run("e2fsck", [repair ? "-fy" : "-fn", device], package: "e2fsprogs")
        // -fn: 0 is clean. -fy: 0 clean, 1 errors corrected — the copy is then repaired.
        let clean = result.status == 0 || (repair && result.status == 1)
        return Outcome(clean: clean, exitStatus: result.status, output: result.tail)
    }
}
