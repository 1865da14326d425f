#if canImport(Glibc)
    import Glibc
#endif

/// Releases what runs that died (kill -9, a crash, a power cut of the process) left on the
/// host, from their records in /run/xen2kvm.
enum DeadRuns {
    /// Under the cleaner lock: releases dead runs' records, then runs `then` (the claim of a new
    /// record). One cleaner at a time: two runs releasing the same record could both detach its
    /// loop device, the second after it was reused; and no cleaner sees a record half made.
    static func release<T>(then: () -> T) -> T {
        let cleaner = open("\(RunRecord.stateDirectory)/.clean.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { if cleaner >= 0 { close(cleaner) } }
        if cleaner >= 0 { _ = flock(cleaner, LOCK_EX) }
        let dead = records()
        defer { for record in dead where record.lock >= 0 { close(record.lock) } }
        // Every dead run's children first: one may hold another record's mounts (a guest
        // program runs in a session's root, its run's record lists the program).
        let children = dead.flatMap { record in
            record.holdings.filter { if case .child = $0 { true } else { false } }
        }
        let stillRunning = RunRecord.Holding.release(children)
        for record in dead where !triedLately(record.directory) {
            // Anything mounted in the record's own directory is its (a guest session's root
            // and /dev), recorded or not.
            let inside = Mounts.all().map(\.mountPoint).filter {
                $0.hasPrefix(record.directory + "/") && !record.holdings.contains(.mount($0))
            }
            let rest = record.holdings.filter { if case .child = $0 { false } else { true } }
            let left =
                RunRecord.Holding.release(rest + inside.map { .mount($0) })
                + stillRunning.filter(record.holdings.contains)
            if left.isEmpty {
                RunRecord.remove(record.directory)
            } else {
                RunRecord.write(left, in: record.directory)
                markTried(record.directory)
            }
            let name = record.directory.split(separator: "/").last.map(String.init) ?? record.directory
            if !record.holdings.isEmpty || !inside.isEmpty {
                let released = (record.holdings + inside.map { .mount($0) }).filter { !left.contains($0) }
                Log.info(
                    "released what dead run \(name) left: \(released.map(\.description).joined(separator: ", "))"
                        + (left.isEmpty ? "" : "; could not release \(left.map(\.description).joined(separator: ", "))")
                )
            }
        }
        return then()
    }

    /// What a dead run left and could not be released (a mount another mount namespace holds,
    /// a loop device still claimed) is tried again by the runs that come at most every 30 s:
    /// each try waits for it, under the cleaner lock, and a busy host starts many runs.
    static let retryInterval: Int = 30

    static func triedLately(_ directory: String) -> Bool {
        var info = stat()
        guard stat("\(directory)/tried", &info) == 0 else { return false }
        return time(nil) - info.st_mtim.tv_sec < retryInterval
    }

    static func markTried(_ directory: String) {
        let fd = open("\(directory)/tried", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }

    /// A dead run's record: its directory, what it lists, and its lock (held while releasing).
    struct Record {
        var directory: String
        var holdings: [RunRecord.Holding]
        var lock: Int32
    }

    /// Records (<pid>-<n>) whose lock can be taken: the flock ends with its process, and it
    /// holds across pid namespaces (where a pid check would see a live owner as dead). A record
    /// without a lock file (one being given up) falls back to the pid.
    static func records() -> [Record] {
        HostFiles.names(in: RunRecord.stateDirectory).compactMap { name -> Record? in
            let parts = name.split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), Int(parts[1]) != nil else { return nil }
            let directory = "\(RunRecord.stateDirectory)/\(name)"
            let lock = open("\(directory)/lock", O_RDWR | O_CLOEXEC)
            if lock >= 0 {
                guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                    close(lock)
                    return nil
                }
            } else if kill(pid, 0) == 0 || errno != ESRCH {
                return nil
            }
            return Record(directory: directory, holdings: RunRecord.read(directory) + legacy(directory), lock: lock)
        }
    }

    /// The loop device a guest session of an earlier xen2kvm recorded ("loop": the device,
    /// then "st_dev st_ino" of its disk), so a host upgraded meanwhile still releases it.
    static func legacy(_ directory: String) -> [RunRecord.Holding] {
        let lines = (HostFiles.read("\(directory)/loop") ?? "").split(separator: "\n")
        let numbers = lines.dropFirst().first?.split(separator: " ").compactMap { UInt64($0) } ?? []
        guard let device = lines.first, device.hasPrefix("/dev/loop"), numbers.count == 2 else { return [] }
        return [.loop(String(device), backing: FileIdentity(device: numbers[0], inode: numbers[1]))]
    }
}
