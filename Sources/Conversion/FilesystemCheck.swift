import Subprocess

/// Runs e2fsck on the filesystem inside the target (at its partition offset; e2fsprogs
/// accept `PATH?offset=N`), read-only (`-fn`) to verify, or `-fy` to repair a forced copy.
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
        let arguments = [repair ? "-fy" : "-fn", device]
        do {
            let result = try await Subprocess.run(
                .name("e2fsck"), arguments: Arguments(arguments),
                environment: .inherit.updating(["PATH": "/usr/sbin:/sbin:/usr/bin:/bin"]),
                output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
            var status: Int32 = -1
            if case .exited(let code) = result.terminationStatus { status = code }
            let text = result.standardOutput + result.standardError
            let tail = text.split(separator: "\n").suffix(12).joined(separator: "\n")
            // -fn: 0 is clean. -fy: 0 clean, 1 errors corrected — the copy is then repaired.
            let clean = status == 0 || (repair && status == 1)
            return Outcome(clean: clean, exitStatus: status, output: tail)
        } catch {
            throw .failed("cannot run e2fsck (Debian package e2fsprogs): \(error)")
        }
    }
}
