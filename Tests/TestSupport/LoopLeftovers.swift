/// Loop devices still attached to files whose path contains `path`, after giving the kernel up
/// to 5 s: a detached loop device is released by a kernel worker (one still open when it was
/// detached goes at its last close), so `losetup -a` may list it for a moment after the
/// detach returned. A leaked mount keeps its loop device attached, so this sees leaked mounts
/// too (other tests' mounts may exist at the same time: /proc/mounts cannot be asked).
public func loopLeftovers(matching path: String) async throws -> String {
    var left = ""
    for attempt in 0..<50 {
        if attempt > 0 { try await Task.sleep(for: .milliseconds(100)) }
        let loops = try await Command.check("losetup", ["-a"]).stdout.split(separator: "\n")
        left = loops.filter { $0.contains(path) }.joined(separator: "\n")
        if left.isEmpty { break }
    }
    return left
}
