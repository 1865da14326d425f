import Foundation
import TestSupport
import Testing

/// What a repaired copy must hold, and a file-by-file comparison with it (DamagedSourceTests).
extension Harness {
    /// A plain copy of a source, repaired as an operator would repair the source itself.
    struct RepairedReference {
        var image: String
        /// `e2fsck -fn` of the plain copy before any repair: the builders' proof of damage.
        var plainCheck: CommandResult
        /// The exit status of each `e2fsck -fy` pass.
        var repairs: [Int32]
    }

    /// `cp --sparse=always` of `source`, then `e2fsck -fy` until `e2fsck -fn` is clean (at most 3
    /// passes): the pass that replays a journal can leave a superblock e2fsck cannot re-open
    /// (exit 12) that the next pass repairs from a backup.
    static func repairedReference(of source: String, in dir: TemporaryDirectory) async throws -> RepairedReference {
        let image = dir.file("reference.img")
        try await Command.check("cp", ["--sparse=always", source, image])
        let plain = try await Command.run("e2fsck", ["-fn", image])
        var repairs: [Int32] = []
        var check: CommandResult
        // -fy at least once: -fn calls a journal still to replay clean.
        repeat {
            repairs.append(try await Command.run("e2fsck", ["-fy", image]).status)
            check = try await Command.run("e2fsck", ["-fn", image])
        } while check.status != 0 && repairs.count < 3
        try #require(check.status == 0, "e2fsck -fy passes \(repairs) left the reference damaged:\n\(check.stdout)")
        return RepairedReference(image: image, plainCheck: plain, repairs: repairs)
    }

    /// Every entry of the filesystem at `offset` of `image`, mounted read-only with no journal
    /// replay: relative path → type, mode, uid, gid, size, then a file's sha256 or a link's target.
    static func tree(_ image: String, offset: UInt64 = 0, in dir: TemporaryDirectory) async throws -> [String: String] {
        try await withLoopDevice(image, offset: offset, readOnly: true) { device in
            try await withMount(device, options: "ro,noload", in: dir) { point in
                let listing = try await Command.check(
                    "find", [point, "-mindepth", "1", "-printf", "%P\\0%y %m %U %G %s %l\\0"]
                )
                .stdout.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
                var entries: [String: String] = [:]
                for index in stride(from: 0, to: listing.count - 1, by: 2) {
                    entries[listing[index]] = listing[index + 1].trimmingCharacters(in: .whitespaces)
                }
                // "HASH  ./PATH\0" per regular file (-z: names are not escaped).
                let sums = try await Command.check(
                    "sh", ["-c", "cd \"$1\" && find . -type f -print0 | xargs -0r sha256sum -z", "sh", point]
                ).stdout
                for line in sums.split(separator: "\0") where line.count > 68 {
                    let path = String(line.dropFirst(66).dropFirst(2))
                    entries[path, default: "?"] += " sha256:" + line.prefix(64)
                }
                return entries
            }
        }
    }

    /// One line per path whose entry differs, sorted.
    static func treeDifferences(reference: [String: String], copy: [String: String]) -> [String] {
        Set(reference.keys).union(copy.keys).sorted().compactMap { path in
            let (expected, found) = (reference[path], copy[path])
            return expected == found
                ? nil : "\(path): repaired source \(expected ?? "absent"), copy \(found ?? "absent")"
        }
    }

    /// True when sfdisk finds a partition table on `path` (false for a missing file).
    static func hasPartitionTable(_ path: String) async throws -> Bool {
        guard exists(path) else { return false }
        let result = try await Command.run("sfdisk", ["--json", path])
        return result.succeeded && result.stdout.contains("partitiontable")
    }
}
