import Conversion
import HostSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Pulls a remote disk into a sparse staging file on this host, over one ssh connection,
/// reading it there with read-only commands only (`stat`/`blockdev`, `dd if=`, `e2image -ra
/// PATH -`): the source is never written. The local convert then runs on the staging file.
public enum RemoteFetch {
    public struct Options: Sendable {
        public var transport: Transport = .auto
        /// How the transport was asked for, in the reason and a refusal (TransportChoice.choose).
        public var transportAskedAs = "--transport"
        /// `ssh -F FILE`; nil: the user's ~/.ssh/config.
        public var sshConfig: String?
        /// Where the staging file goes.
        public var stagingDirectory: String
        /// The xen2kvm on the remote host, for the x2k transport: a name on its PATH (and in
        /// /usr/local/sbin, /usr/local/bin) or an absolute path.
        public var remoteXen2kvm = "xen2kvm"

        public init(stagingDirectory: String) { self.stagingDirectory = stagingDirectory }
    }

    /// The transfer, as done.
    public struct Received: Sendable, Codable {
        public var source: String
        public var transport: Transport
        public var reason: String
        public var staging: String
        /// Bytes that came over ssh (after ssh's own decryption): measured where they land.
        public var bytesReceived: UInt64
        /// Bytes written to the staging file (zero runs are skipped).
        public var bytesWritten: UInt64
        public var seconds: Double
    }

    /// Probes, chooses the transport (the reason goes to `progress` as a note), and receives
    /// the stream into a new staging file in `options.stagingDirectory`. On any failure the
    /// staging file is removed. The caller removes it after use (`StagingFile.remove`).
    public static func fetch(_ source: RemoteSource, options: Options, progress: any ProgressReporter)
        async throws(ConversionError) -> Received
    {
        let connection = try await SSHConnection.open(source.endpoint, configFile: options.sshConfig)
        do {
            let received = try await fetch(source, over: connection, options: options, progress: progress)
            await connection.close()
            return received
        } catch {
            await connection.close()
            throw error
        }
    }

    static func fetch(
        _ source: RemoteSource, over connection: SSHConnection, options: Options, progress: any ProgressReporter
    ) async throws(ConversionError) -> Received {
        var options = options
        if options.transport == .auto { options.remoteXen2kvm = "" }  // No x2k here: its receiver is X2K's.
        let choice = try await choose(source, over: connection, options: options, progress: progress)
        return try await fetch(source, choice: choice, over: connection, options: options, progress: progress)
    }

    /// Probes and chooses the transport; the reason goes to `progress` as a note.
    public static func choose(
        _ source: RemoteSource, over connection: SSHConnection, options: Options, progress: any ProgressReporter
    ) async throws(ConversionError) -> TransportChoice {
        let facts = try await probe(source, over: connection, xen2kvm: options.remoteXen2kvm)
        let choice = try TransportChoice.choose(
            options.transport, facts: facts, host: source.endpoint.host, askedAs: options.transportAskedAs)
        progress.note("transport \(choice.transport.rawValue): \(choice.reason)")
        return choice
    }

    /// Receives the disk by `choice` (e2image or dd) into a new staging file.
    public static func fetch(
        _ source: RemoteSource, choice: TransportChoice, over connection: SSHConnection, options: Options,
        progress: any ProgressReporter
    ) async throws(ConversionError) -> Received {
        guard choice.transport != .x2k else {
            throw .failed("the x2k transport writes into the target, not a staging file (X2KReceiver)")
        }
        let staging = try StagingFile.make(in: options.stagingDirectory)
        do {
            let received = try await receive(
                source, choice: choice, over: connection, into: staging, progress: progress)
            return received
        } catch {
            staging.remove()
            throw error
        }
    }

    /// The backup superblocks and descriptors `e2image -ra` leaves as zeros, read with dd
    /// (one remote command) and written at their offsets: the staging file then holds what a
    /// local convert would copy from the source.
    static func receiveBackups(
        _ ext: ExtSuperblock, of source: RemoteSource, over connection: SSHConnection, into staging: StagingFile
    ) async throws(ConversionError) -> UInt64 {
        let runs = ext.backupRuns()
        guard !runs.isEmpty else { return 0 }
        let command = RemoteCommand.backups.line(
            [source.path, String(ext.blockSize)] + runs.flatMap { [String($0.lowerBound), String($0.count)] })
        let expected = runs.reduce(0) { $0 + UInt64($1.count) } * ext.blockSize
        var placed: UInt64 = 0
        let ended = try await connection.stream(command) { bytes throws(ConversionError) in
            var remaining = UnsafeRawBufferPointer(bytes)
            while !remaining.isEmpty {
                guard let (offset, room) = Self.position(placed, in: runs, blockSize: ext.blockSize) else {
                    throw .failed("\(source): more backup superblock bytes than asked for")
                }
                let length = Int(min(UInt64(remaining.count), room))
                do {
                    _ = try staging.fd.writeAll(
                        toAbsoluteOffset: Int64(offset), UnsafeRawBufferPointer(rebasing: remaining[0..<length]))
                } catch {
                    throw .failed("cannot write \(staging.path): \(error)")
                }
                placed += UInt64(length)
                remaining = UnsafeRawBufferPointer(rebasing: remaining[length...])
            }
        }
        guard ended.status == 0, placed == expected else {
            throw .failed(
                "reading the backup superblocks of \(source) stopped after \(placed) of \(expected) bytes "
                    + "(exit \(ended.status)): \(ended.said); nothing was written to the target")
        }
        return expected
    }

    /// The file offset of stream byte `index` when the stream is `runs` one after the other,
    /// and how many bytes fit there before the run ends.
    static func position(_ index: UInt64, in runs: [Range<UInt64>], blockSize: UInt64) -> (UInt64, UInt64)? {
        var skipped: UInt64 = 0
        for run in runs {
            let bytes = UInt64(run.count) * blockSize
            if index < skipped + bytes {
                let into = index - skipped
                return (run.lowerBound * blockSize + into, bytes - into)
            }
            skipped += bytes
        }
        return nil
    }

    /// Size, e2image, superblock: one read-only command.
    static func probe(_ source: RemoteSource, over connection: SSHConnection, xen2kvm: String = "")
        async throws(ConversionError) -> RemoteFacts
    {
        // The remote xen2kvm answers `send --format` with its stream format and path.
        let script = RemoteCommand.probe.line([source.path, xen2kvm, String(TransportChoice.x2kFormat)])
        let (ended, output) = try await connection.run(script)
        guard ended.status == 0 else {
            if ended.status == 3 { throw .refused("cannot read \(source): \(ended.said)") }
            throw .failed("cannot probe \(source) (exit \(ended.status)): \(ended.said)")
        }
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
        guard lines.count >= 3, let size = UInt64(lines[0].trimmingSpaces) else {
            throw .failed("cannot probe \(source): unexpected answer \(lines.prefix(3))")
        }
        let hex = lines.dropFirst(3).flatMap { $0.split(separator: " ") }
        let superblock = hex.compactMap { UInt8($0, radix: 16) }
        return RemoteFacts(
            size: size, hasE2image: lines[1] == "e2image", ext: ExtSuperblock.parse(superblock),
            xen2kvm: lines[2] == "none" ? nil : String(lines[2]))
    }

    static func command(for choice: TransportChoice, path: String) -> String {
        switch choice.transport {
        case .e2image, .auto: return RemoteCommand.e2image.line([path])
        case .dd, .x2k: return RemoteCommand.dd.line([path])
        }
    }

    static func receive(
        _ source: RemoteSource, choice: TransportChoice, over connection: SSHConnection, into staging: StagingFile,
        progress: any ProgressReporter
    ) async throws(ConversionError) -> Received {
        let started = ContinuousClock.now
        var writer = SparseWriter(fd: staging.fd, path: staging.path)
        let step = "receiving \(source) (\(choice.transport.rawValue))"
        progress.begin(step: step, total: choice.streamBytes)
        let expected = choice.streamBytes
        let ended = try await connection.stream(command(for: choice, path: source.path)) {
            bytes throws(ConversionError) in
            if Cancellation.signal != nil { throw .interrupted("stopped while receiving \(source)") }
            try writer.append(bytes)
            guard writer.received <= expected else {
                throw .failed("\(source): the stream is longer than the \(expected) bytes expected")
            }
            progress.advance(done: writer.received)
        }
        try writer.finish()
        progress.end()
        let tool = choice.transport.rawValue
        guard ended.status == 0 else {
            throw .failed(
                "\(tool) on \(source.endpoint.host) failed (exit \(ended.status)) after \(writer.received) of "
                    + "\(expected) bytes: \(ended.said); nothing was written to the target")
        }
        guard writer.received == expected else {
            throw .failed(
                "the stream from \(source.endpoint.host) ended after \(writer.received) of \(expected) bytes "
                    + "(\(tool) stopped early or the link dropped); nothing was written to the target")
        }
        var extra: UInt64 = 0
        if choice.transport == .e2image, let ext = choice.ext {
            extra = try await receiveBackups(ext, of: source, over: connection, into: staging)
        }
        return Received(
            source: source.description, transport: choice.transport, reason: choice.reason, staging: staging.path,
            bytesReceived: writer.received + extra, bytesWritten: writer.written + extra,
            seconds: (ContinuousClock.now - started).inSeconds)
    }
}

/// The sparse file a remote disk is received into: new (O_EXCL, mode 0600), recorded in the
/// run's record (a killed run's staging file is removed by the next run).
public struct StagingFile: Sendable {
    public let path: String
    let fd: FileDescriptor
    let identity: FileIdentity?

    static func make(in directory: String) throws(ConversionError) -> StagingFile {
        var template = Array("\(directory)/.xen2kvm-staging.XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            throw .failed("cannot make a staging file in \(directory): \(String(cString: strerror(errno)))")
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let identity = FileIdentity.of(path)
        if let identity { RunRecord.current?.hold(.made(path, identity)) }
        return StagingFile(path: path, fd: FileDescriptor(rawValue: fd), identity: identity)
    }

    /// Closes and removes the file, and drops it from the run's record.
    public func remove() {
        try? fd.close()
        unlink(path)
        if let identity { RunRecord.current?.drop(.made(path, identity)) }
    }

    /// Removes the staging file a `Received` names (after the convert that used it).
    public static func remove(_ received: RemoteFetch.Received) {
        let identity = FileIdentity.of(received.staging)
        unlink(received.staging)
        if let identity { RunRecord.current?.drop(.made(received.staging, identity)) }
    }
}

/// Writes a stream into a file at increasing offsets, skipping every 4 KiB block that is all
/// zeros (the file stays sparse there: a new file reads as zeros).
struct SparseWriter {
    let fd: FileDescriptor
    let path: String
    /// Bytes received so far: the offset of the next one.
    private(set) var received: UInt64 = 0
    /// Bytes written to the file.
    private(set) var written: UInt64 = 0
    private var pending: [UInt8] = []
    private var flushedTo: UInt64 = 0

    static let block = 4096
    static let chunk = 1 << 20
    static let zeros = [UInt8](repeating: 0, count: block)

    init(fd: FileDescriptor, path: String) {
        self.fd = fd
        self.path = path
        pending.reserveCapacity(Self.chunk + (256 << 10))
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
        pending.append(contentsOf: bytes)
        received += UInt64(bytes.count)
        if pending.count >= Self.chunk { try flush(all: false) }
    }

    /// Writes what is left and sets the file's size to what was received.
    mutating func finish() throws(ConversionError) {
        try flush(all: true)
        guard ftruncate(fd.rawValue, off_t(received)) == 0 else {
            throw .failed("cannot size \(path): \(String(cString: strerror(errno)))")
        }
    }

    private mutating func flush(all: Bool) throws(ConversionError) {
        let block = Self.block
        let count = all ? pending.count : pending.count / block * block
        let base = flushedTo
        var wrote: UInt64 = 0
        let failure: Errno? = pending.withUnsafeBytes { raw -> Errno? in
            func isZero(_ at: Int, _ length: Int) -> Bool {
                Self.zeros.withUnsafeBytes { memcmp(raw.baseAddress! + at, $0.baseAddress!, length) == 0 }
            }
            var index = 0
            while index < count {
                let length = min(block, count - index)
                if isZero(index, length) {
                    index += length
                    continue
                }
                var end = index + length
                while end < count {
                    let next = min(block, count - end)
                    if isZero(end, next) { break }
                    end += next
                }
                do {
                    _ = try fd.writeAll(
                        toAbsoluteOffset: Int64(base) + Int64(index), UnsafeRawBufferPointer(rebasing: raw[index..<end])
                    )
                } catch {
                    return (error as? Errno) ?? .ioError
                }
                wrote += UInt64(end - index)
                index = end
            }
            return nil
        }
        if let failure { throw .failed("cannot write \(path): \(failure)") }
        written += wrote
        flushedTo += UInt64(count)
        pending.removeFirst(count)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}

extension RemoteFetch {
    /// Where a staging file goes: `--temp-dir`, else next to a file target, else /var/tmp (a
    /// block device's directory is /dev, a tmpfs).
    public static func stagingDirectory(target: String, temporaryDirectory: String?) -> String {
        if let temporaryDirectory { return temporaryDirectory }
        var status = stat()
        if stat(target, &status) == 0, status.st_mode & S_IFMT == S_IFBLK { return "/var/tmp" }
        if target.hasPrefix("/dev/") { return "/var/tmp" }
        guard let slash = target.lastIndex(of: "/") else { return "." }
        let directory = String(target[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}
