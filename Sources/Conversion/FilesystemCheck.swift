import ExtFS
import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// e2fsck on the filesystem inside a target (at its partition's offset) or a scratch file:
/// `-fn` to verify a copy, `-fy` to repair one. Every exit status is read.
///
/// Inside a disk, e2fsck works on an offset loop device, never on `PATH?offset=N`: with that
/// name e2fsck cannot re-open the filesystem after replaying its journal ("Bad magic number in
/// super-block while trying to re-open", exit 12), and with the mmp feature it reads the MMP
/// block through a descriptor of its own that ignores the offset.
public enum FilesystemCheck {
    public struct Outcome: Sendable, Codable, Equatable {
        public var clean: Bool
        public var exitStatus: Int32
        /// The last lines e2fsck printed, for the report.
        public var output: String
    }

    /// Where a filesystem lies: `length` bytes at `offset` into the file or device `path`.
    public struct Place: Sendable {
        public var path: String
        public var offset: UInt64
        public var length: UInt64?

        public init(path: String, offset: UInt64 = 0, length: UInt64? = nil) {
            self.path = path
            self.offset = offset
            self.length = length
        }
    }

    /// Passes of `e2fsck -fy` before giving up: e2fsck's own test suite expects a second pass to
    /// find nothing; one more may follow a journal replay it could not re-open after (below).
    static let repairPasses = 4

    /// `e2fsck -fn`: clean only with exit status 0.
    public static func check(_ place: Place) async throws(ConversionError) -> Outcome {
        let result = try await run(place, ["-fn"])
        return Outcome(clean: result.status == 0, exitStatus: result.status, output: result.tail)
    }

    /// `e2fsck -fy` until a pass finds nothing more to correct. Throws, before anything else
    /// is written, when a pass reports errors left, an operational error, or keeps correcting.
    public static func repair(_ place: Place, what: String) async throws(ConversionError) -> Outcome {
        // The report keeps the first pass: what was corrected.
        var first: Outcome?
        var last = ""
        for pass in 1...repairPasses {
            let result = try await run(place, ["-fy"])
            last = result.tail
            // e2fsck replays the journal, then re-opens the filesystem to check it. After a
            // fast-commit replay, 1.47.0 rejects the superblock it has just written ("Superblock
            // checksum does not match superblock while trying to re-open", exit 12): the replay
            // is done, and a new pass starts from it as the re-open would have.
            if result.status & 8 != 0 && result.tail.contains("while trying to re-open") && pass < repairPasses {
                Log.info("e2fsck -fy stopped after replaying the journal of \(what): another pass checks it")
                continue
            }
            // 1: errors corrected; 2: corrected, "reboot" (meant for a mounted root). Anything
            // else means the repair did not finish.
            guard result.status & ~3 == 0 else {
                throw .failed(
                    "e2fsck -fy could not repair \(what) (exit \(result.status): \(meaning(result.status))); the "
                        + "partition table was not written, the source is unchanged:\n\(result.tail)")
            }
            if first == nil { first = Outcome(clean: true, exitStatus: result.status, output: result.tail) }
            if result.status == 0 { return first! }
        }
        throw .failed(
            "e2fsck -fy was still correcting errors in \(what) after \(repairPasses) passes; the partition table was "
                + "not written, the source is unchanged:\n\(last)")
    }

    /// `xfs_repair -n` on an XFS copy: clean with exit 0; it fails the run otherwise, before the
    /// partition table is written. Exit 2 is a log holding changes, which xfs_repair will not
    /// judge (the guest was not shut down cleanly).
    public static func checkXFS(_ place: Place) async throws(ConversionError) -> Outcome {
        guard geteuid() == 0 else {
            throw .failed("xfs_repair checks the copy through an offset loop device, which needs root: run as root")
        }
        let loops = LoopMounts()
        defer { loops.release() }
        let device = try await Host.attach(
            loops, place.path, offset: place.offset, length: place.length, readOnly: true)
        let result = try await Host.run("xfs_repair", ["-n", device], package: "xfsprogs")
        let outcome = Outcome(clean: result.status == 0, exitStatus: result.status, output: result.tail)
        guard outcome.clean else {
            let why =
                result.status == 2
                ? "its log holds changes not yet written (the guest was not shut down cleanly): shut it down "
                    + "cleanly and convert again, or mount and unmount a copy of it once to replay the log"
                : "the copy has problems, so the source has them too (check it with `xfs_repair -n` on a copy)"
            throw .failed(
                "xfs_repair -n found the XFS copy not clean (exit \(result.status)): \(why). The partition table was "
                    + "not written:\n\(result.tail)")
        }
        return outcome
    }

    /// e2fsck's exit status bits, in words (e2fsck(8)).
    static func meaning(_ status: Int32) -> String {
        let bits: [(Int32, String)] = [
            (4, "errors left uncorrected"), (8, "operational error"), (16, "usage or syntax error"),
            (32, "cancelled"), (128, "shared-library error"),
        ]
        let words = bits.filter { status & $0.0 != 0 }.map(\.1)
        return words.isEmpty ? "errors corrected" : words.joined(separator: ", ")
    }

    private static func run(_ place: Place, _ flags: [String]) async throws(ConversionError) -> HostTool.Outcome {
        guard place.offset > 0 else { return try await Host.run("e2fsck", flags + [place.path], package: "e2fsprogs") }
        guard geteuid() == 0 else {
            let mmp = ExtSuperblock.read(place.path, offset: place.offset)?.hasMMP
            // Read-only, without the mmp feature, `?offset=` works: nothing is re-opened.
            guard flags == ["-fn"], mmp == false else {
                throw .failed(
                    "e2fsck \(flags.joined()) works on an offset loop device, which needs root: run as root")
            }
            return try await Host.run("e2fsck", flags + ["\(place.path)?offset=\(place.offset)"], package: "e2fsprogs")
        }
        let loops = LoopMounts()
        defer { loops.release() }
        let device = try await Host.attach(
            loops, place.path, offset: place.offset, length: place.length, readOnly: flags == ["-fn"])
        return try await Host.run("e2fsck", flags + [device], package: "e2fsprogs")
    }
}
