/// The order guests run in: the manifest's, `parallel` at a time and at most `perSource` from
/// one source host, each started as soon as a slot frees and its host has room. One rule, used
/// by the run and by the dry run's estimate.
struct FleetSchedule {
    let hosts: [String]
    let parallel: Int
    let perSource: Int

    init(hosts: [String], parallel: Int, perSource: Int?) {
        self.hosts = hosts
        self.parallel = max(1, parallel)
        self.perSource = max(1, perSource ?? Int.max)
    }

    /// The first guest not started whose host has room, when a slot is free.
    func next(started: Set<Int>, running: [String: Int]) -> Int? {
        guard running.values.reduce(0, +) < parallel else { return nil }
        return hosts.indices.first { !started.contains($0) && running[hosts[$0], default: 0] < perSource }
    }

    /// Runs `work` for every guest on this schedule; the results in the manifest's order.
    func run<Result: Sendable>(_ work: @escaping @Sendable (Int) async -> Result) async -> [Result] {
        var results = [Result?](repeating: nil, count: hosts.count)
        var started: Set<Int> = []
        var running: [String: Int] = [:]
        await withTaskGroup(of: (Int, Result).self) { group in
            func fill() {
                while let index = next(started: started, running: running) {
                    started.insert(index)
                    running[hosts[index], default: 0] += 1
                    group.addTask { (index, await work(index)) }
                }
            }
            fill()
            while let (index, result) = await group.next() {
                results[index] = result
                running[hosts[index], default: 0] -= 1
                fill()
            }
        }
        return results.map { $0! }
    }

    /// The wall time of guests taking `durations` on this schedule (each guest's host as `run`
    /// would count it).
    func estimate(_ durations: [Double]) -> Double {
        var started: Set<Int> = []
        var running: [String: Int] = [:]
        var ends: [(at: Double, index: Int)] = []
        var now = 0.0
        while started.count < hosts.count || !ends.isEmpty {
            while let index = next(started: started, running: running) {
                started.insert(index)
                running[hosts[index], default: 0] += 1
                ends.append((now + durations[index], index))
            }
            guard let first = ends.indices.min(by: { ends[$0].at < ends[$1].at }) else { break }
            let end = ends.remove(at: first)
            now = end.at
            running[hosts[end.index], default: 0] -= 1
        }
        return now
    }
}

extension FleetGuest {
    /// The source host that `--per-source` counts: this host ("local"), or the Xen host's name
    /// (root@xen1 and admin@xen1 are one host).
    var sourceHost: String {
        switch source {
        case .local: "local"
        case .ssh(let authority): String(authority.split(separator: "@").last ?? "").lowercased()
        }
    }
}
