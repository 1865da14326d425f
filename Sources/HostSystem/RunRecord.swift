import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What one run of xen2kvm holds on the host (child processes, mounts, loop devices, files and
/// directories it made), written down where the next run finds it: /run/xen2kvm/<pid>-<n>/held,
/// beside a `lock` file the run keeps flock'ed while it lives. The flock ends with the process,
/// kill -9 included, so a record whose lock can be taken is a dead run's, and the next run
/// releases what it lists (`DeadRuns`). The list is rewritten whole (a temporary file renamed
/// over it) on every change: a run killed mid-write leaves the previous list, never half of one.
public final class RunRecord: Sendable {
    public static let stateDirectory = "/run/xen2kvm"

    /// The record the library's host work goes into: every child process, loop device, mount,
    /// scratch file and target file being made. nil (a library caller that bound none, a run
    /// without root): nothing is recorded.
    @TaskLocal public static var current: RunRecord?

    /// This record's directory (a guest session keeps its mount points there too).
    public let directory: String
    private let lock: Int32
    /// What is held, oldest first; nil once closed.
    private let holdings = Mutex<[Holding]?>([])

    private init(directory: String, lock: Int32) {
        self.directory = directory
        self.lock = lock
    }

    /// Releases what dead runs left, then makes a record of this run's own, locked until
    /// `close`. nil when /run/xen2kvm cannot be written (not root): nothing is recorded then.
    private static let nextNumber = Atomic<Int>(0)

    public static func claim() -> RunRecord? {
        guard mkdir(stateDirectory, 0o700) == 0 || errno == EEXIST, access(stateDirectory, W_OK) == 0 else {
            return nil
        }
        return DeadRuns.release { () -> RunRecord? in
            // Never a number this process used before: a record just closed is not taken for
            // the next one's (in the log, or by code that checks the old one is gone).
            var number = nextNumber.wrappingAdd(1, ordering: .relaxed).oldValue
            var tries = 0
            while mkdir("\(stateDirectory)/\(getpid())-\(number)", 0o700) != 0 {
                guard errno == EEXIST, tries < 10_000 else { return nil }
                number = nextNumber.wrappingAdd(1, ordering: .relaxed).oldValue
                tries += 1
            }
            let directory = "\(stateDirectory)/\(getpid())-\(number)"
            let lock = open("\(directory)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lock >= 0, flock(lock, LOCK_EX) == 0 else {
                if lock >= 0 { Glibc.close(lock) }
                Self.remove(directory)
                return nil
            }
            return RunRecord(directory: directory, lock: lock)
        }
    }

    /// Runs `body` with a record of its own as `current` (after releasing dead runs' records),
    /// and releases whatever is still held when it ends.
    public static func during<T>(_ body: () async throws -> T) async rethrows -> T {
        guard let record = claim() else { return try await body() }
        defer { record.close() }
        return try await $current.withValue(record, operation: body)
    }

    public func hold(_ holding: Holding) {
        change { $0.append(holding) }
    }

    /// Forgets `holding` (released, or kept on purpose: a finished target).
    public func drop(_ holding: Holding) {
        change { list in
            if let index = list.lastIndex(of: holding) { list.remove(at: index) }
        }
    }

    /// Releases `holdings` (the caller's part of the record) and forgets what was released;
    /// returns what could not be, which stays recorded for the next run to try again.
    public func release(_ part: [Holding]) -> [Holding] {
        let left = Holding.release(part)
        change { list in
            for holding in part where !left.contains(holding) {
                if let index = list.lastIndex(of: holding) { list.remove(at: index) }
            }
        }
        return left
    }

    /// Releases everything still held and removes the record; what could not be released
    /// stays recorded (the next run tries again) and is returned, described.
    @discardableResult
    public func close() -> [String] {
        let left = holdings.withLock { list -> [Holding]? in
            guard let held = list else { return nil }
            let left = Holding.release(held)
            Self.write(left, in: directory)
            list = nil
            return left
        }
        guard let left else { return [] }
        if left.isEmpty { Self.remove(directory) }
        _ = Glibc.close(lock)
        return left.map(\.description)
    }

    deinit { close() }

    private func change(_ body: (inout [Holding]) -> Void) {
        holdings.withLock { list in
            guard var held = list else { return }
            body(&held)
            list = held
            Self.write(held, in: directory)
        }
    }

    /// Writes the list to `held` through a temporary file and a rename.
    static func write(_ holdings: [Holding], in directory: String) {
        let temporary = "\(directory)/held.new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let text = holdings.map { $0.line + "\n" }.joined()
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
        if written == bytes.count { _ = rename(temporary, "\(directory)/held") } else { _ = unlink(temporary) }
    }

    /// What a record lists; empty when it has no list.
    static func read(_ directory: String) -> [Holding] {
        (HostFiles.read("\(directory)/held") ?? "").split(separator: "\n").compactMap { Holding(line: $0) }
    }

    /// Removes a record's directory: its files, and the directories a guest session made in it
    /// (root/, dev/: empty once unmounted).
    static func remove(_ directory: String) {
        for name in HostFiles.names(in: directory) where unlink("\(directory)/\(name)") != 0 {
            _ = rmdir("\(directory)/\(name)")
        }
        _ = rmdir(directory)
    }
}
