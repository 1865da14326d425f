import Conversion
import FoundationEssentials
import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// What a fleet run did to a guest, kept in the state directory as `<name>.json`.
public struct GuestState: Sendable, Codable {
    /// In order. A guest has the phases its settings ask for: `transferred` only when it is on a
    /// Xen host (a local guest's disks are read in place by `converted`), `boot-checked` only with
    /// `bootCheck`, `defined` only with `define`, `started` only with `start`.
    public enum Phase: String, Sendable, Codable, CaseIterable, Comparable {
        case planned, transferred, converted, fixed, domainWritten = "domain written"
        case bootChecked = "boot-checked"
        case defined, started

        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// A phase done, with the fingerprint of the inputs it was done with.
    public struct Done: Sendable, Codable, Equatable {
        public var phase: Phase
        public var fingerprint: String
        /// The inputs, by name, each with its own digest: what changed, when one did.
        public var inputs: [String: String]
        public var at: String
    }

    /// A file this fleet made (a target, the XML), by identity: a file put in its place by
    /// someone else is never taken for it.
    public struct Made: Sendable, Codable, Equatable {
        public var path: String
        public var device: UInt64
        public var inode: UInt64
        public var born: UInt64

        public init?(_ path: String) {
            guard let identity = FileIdentity.of(path) else { return nil }
            self.path = path
            device = identity.device
            inode = identity.inode
            born = identity.born
        }

        public var isStillThere: Bool {
            guard let now = FileIdentity.of(path) else { return false }
            return now.isSameFile(as: FileIdentity(device: device, inode: inode, born: born))
        }
    }

    public var guest: String
    public var phases: [Done] = []
    public var made: [Made] = []
    /// Convert's plan of the root, kept for a rerun that redoes only the fixes.
    public var rootPlan: ConversionPlan?
    /// A guest on a Xen host: the digest of its definition, its disks' identities there and its
    /// settings when every phase was last done; a rerun that finds the same receives nothing.
    public var remoteInputs: String?
    /// The domain and the XML written for it, for the report of a rerun that reads nothing (a
    /// remote guest unchanged on its host): what the role defines from.
    public var domain: String?
    public var domainXML: String?

    public init(guest: String) { self.guest = guest }

    public func done(_ phase: Phase) -> Done? { phases.first { $0.phase == phase } }

    /// Records a phase done. Done again with other inputs, it forgets the phases after it (they
    /// were done on what it made before); done again with the same, or the plan (made every run,
    /// no later phase's input), it keeps them.
    public mutating func record(_ done: Done) {
        let same = self.done(done.phase)?.fingerprint == done.fingerprint
        let keepLater = same || done.phase == .planned
        phases.removeAll { keepLater ? $0.phase == done.phase : $0.phase >= done.phase }
        phases.append(done)
        phases.sort { $0.phase < $1.phase }
    }

    /// Forgets `phase` and every later one.
    public mutating func forget(from phase: Phase) { phases.removeAll { $0.phase >= phase } }
}

/// The state directory: one JSON file per guest, written whole (a temporary file renamed over
/// it, after fsync), so a run killed mid-write leaves the previous state; and one lock file per
/// guest, flock'ed while a run works on it.
public struct StateDirectory: Sendable {
    public let path: String

    public init(_ path: String) throws(FleetError) {
        self.path = path
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw .state("cannot make the state directory \(path): \(String(cString: strerror(errno)))")
        }
    }

    func file(_ guest: String) -> String { "\(path)/\(guest).json" }

    public func read(_ guest: String) throws(FleetError) -> GuestState? {
        guard let data = FileManager.default.contents(atPath: file(guest)) else { return nil }
        do {
            return try JSONDecoder().decode(GuestState.self, from: data)
        } catch {
            throw .state("\(file(guest)) cannot be read (\(error)): move it away to start the guest over")
        }
    }

    public func write(_ state: GuestState) throws(FleetError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(state)) + [10] } catch { throw .state("\(error)") }
        let final = file(state.guest)
        let temporary = "\(final).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .state("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                unlink(temporary)
                throw .state("cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, final) == 0 else {
            unlink(temporary)
            throw .state("cannot replace \(final): \(String(cString: strerror(errno)))")
        }
    }

    /// The guest's lock, or nil when another run holds it. Released by `GuestLock.release` or
    /// when the process ends (kill -9 included).
    public func lock(_ guest: String) throws(FleetError) -> GuestLock? {
        let lockPath = "\(path)/\(guest).lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .state("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(fd)
            if busy { return nil }
            throw .state("cannot lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        return GuestLock(fd: fd)
    }
}

public final class GuestLock: Sendable {
    private let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}

public enum FleetError: Error, Sendable, CustomStringConvertible {
    case state(String)
    case manifest(ManifestError)
    public var description: String {
        switch self {
        case .state(let text): text
        case .manifest(let error): error.description
        }
    }
}
