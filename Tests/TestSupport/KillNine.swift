import Foundation

/// kill -9 at a random point: a seeded delay after a trigger line, the seed printed so a
/// failing point can be replayed (XEN2KVM_KILL_SEED=…).
public struct KillPoint: Sendable {
    public let seed: UInt64

    public init() {
        let given = ProcessInfo.processInfo.environment["XEN2KVM_KILL_SEED"].flatMap { UInt64($0) }
        seed = given ?? UInt64.random(in: 1...UInt64(UInt32.max))
    }

    /// A delay in 0..<`limit`, the same for the same seed and name (SplitMix64).
    public func delay(_ name: String, upTo limit: Duration) -> Duration {
        var state = seed &+ name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }
        state = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
        state = (state ^ (state >> 27)) &* 0x94D0_49BB_1331_11EB
        state ^= state >> 31
        let millis = Int64(limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000)
        let chosen = Duration.milliseconds(Int64(state % UInt64(max(millis, 1))))
        print("kill -9 point for \(name): \(chosen) after the trigger (XEN2KVM_KILL_SEED=\(seed))")
        return chosen
    }
}

/// A process seen at the kill: its pid and start time (/proc/PID/stat field 22), so a pid
/// reused later is not taken for it.
public struct SeenProcess: Sendable, CustomStringConvertible {
    public var pid: Int32
    public var started: UInt64
    public var name: String

    public var description: String { "\(pid) (\(name))" }

    /// Whether it still runs (a zombie does not).
    public var isAlive: Bool {
        guard let now = Self.read(pid), now.started == started else { return false }
        return now.state != "Z" && now.state != "X"
    }

    static func read(_ pid: Int32) -> (ppid: Int32, started: UInt64, state: Substring, name: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ppid = Int32(fields[1]), let started = UInt64(fields[19]) else { return nil }
        return (ppid, started, fields[0], String(text[text.index(after: open)..<close]))
    }

    /// Every process descended from `pid` now, walking /proc by parent pid.
    public static func descendants(of pid: Int32) -> [SeenProcess] {
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
            Int32(name).flatMap { pid in read(pid).map { (pid, $0) } }
        }
        var found: [SeenProcess] = []
        var parents: Set<Int32> = [pid]
        while true {
            let known = Set(found.map(\.pid))
            let next = all.filter { parents.contains($0.1.ppid) && !known.contains($0.0) }
            if next.isEmpty { return found }
            found += next.map { SeenProcess(pid: $0.0, started: $0.1.started, name: $0.1.name) }
            parents = Set(next.map { $0.0 })
        }
    }
}

/// What a run killed with SIGKILL had under it at the moment of the kill.
public struct KilledRun: Sendable {
    public var result: CommandResult
    public var pid: Int32
    /// Its descendants just before the kill.
    public var descendants: [SeenProcess]
    /// The mount points of loop devices over files under the watched directory (its mounts).
    public var mounts: [String]

    /// Whether the kill landed on a running program (it may have finished first).
    public var landed: Bool { result.status == 128 + SIGKILL }

    /// The descendants still running, after up to `seconds` for the kernel to take them.
    public func survivors(within seconds: Double = 2) async throws -> [SeenProcess] {
        var alive = descendants.filter(\.isAlive)
        for _ in 0..<Int(seconds * 10) where !alive.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            alive = alive.filter(\.isAlive)
        }
        return alive
    }

    /// What the run left that a later run should have released: its mounts still mounted, its
    /// state directories in /run/xen2kvm.
    public func leftovers() throws -> [String] {
        let mounted = try currentMountPoints()
        let points = mounts.filter(mounted.contains) + mounted.filter { $0.hasPrefix("/run/xen2kvm/\(pid)-") }
        let records = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/xen2kvm")) ?? [])
            .filter { $0.hasPrefix("\(pid)-") }.map { "/run/xen2kvm/\($0)" }
        return points.map { "mount \($0)" } + records
    }
}

/// Runs xen2kvm and kills it with SIGKILL `delay` after `trigger` appears on its stderr, noting
/// just before what runs under it and what it has mounted from files under `watched`.
public func killXen2KVM(
    _ arguments: [String], when trigger: String, after delay: Duration, watching watched: String,
    environment: [String: String] = [:], throttle: ReadThrottle? = nil
) async throws -> KilledRun {
    let seen = SeenAtKill()
    let result = try await runXen2KVM(
        arguments, signal: SIGKILL, when: trigger, environment: environment, throttle: throttle
    ) { pid in
        try await Task.sleep(for: delay)
        seen.note(pid: pid, descendants: SeenProcess.descendants(of: pid), mounts: try await loopMounts(under: watched))
    }
    let (pid, descendants, mounts) = seen.value
    return KilledRun(result: result, pid: pid, descendants: descendants, mounts: mounts)
}

/// What the kill saw, written from the signal-sending task.
final class SeenAtKill: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: (Int32, [SeenProcess], [String]) = (0, [], [])

    func note(pid: Int32, descendants: [SeenProcess], mounts: [String]) {
        lock.withLock { seen = (pid, descendants, mounts) }
    }

    var value: (Int32, [SeenProcess], [String]) { lock.withLock { seen } }
}

/// Mount points of loop devices (and their partitions) over files under `directory`.
public func loopMounts(under directory: String) async throws -> [String] {
    let loops = try await Command.check("losetup", ["-a"]).stdout.split(separator: "\n")
        .filter { $0.contains(directory) }.map { String($0.prefix { $0 != ":" }) }
    let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8).split(separator: "\n")
    return mounts.compactMap { line -> String? in
        let fields = line.split(separator: " ")
        guard fields.count > 1 else { return nil }
        let device = String(fields[0])
        return loops.contains { device == $0 || device.hasPrefix($0 + "p") } ? String(fields[1]) : nil
    }
}

func currentMountPoints() throws -> Set<String> {
    let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8).split(separator: "\n")
    return Set(mounts.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) })
}
