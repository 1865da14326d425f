import Conversion

#if canImport(Glibc)
    import Glibc
#endif

/// What `migrate --from ssh://…` and a fleet's remote guest read on the Xen host besides the
/// disks: the guest's definition, whether it still runs, and each disk's identity. Every
/// command here only reads (`cat`, `xl list`, `stat`), over the one connection of the run.
public enum RemoteXenHost {
    /// A definition as read on the Xen host, and where from ("/etc/xen/web01.cfg",
    /// "virsh dumpxml --inactive web01").
    public struct Definition: Sendable, Equatable {
        public var text: String
        public var origin: String
    }

    /// The places a guest NAME's definition is looked for, in order: xl's and xm's own
    /// directory, with and without `.cfg`. On a libvirt-managed Xen host, `virsh dumpxml
    /// --inactive NAME` when neither file exists (RemoteCommand.definitionName reads these).
    public static func configPaths(of name: String) -> [String] { ["/etc/xen/\(name).cfg", "/etc/xen/\(name)"] }

    /// A guest name as xl and libvirt take it, and nothing a shell or a path would read as more.
    public static func isGuestName(_ text: String) -> Bool {
        !text.isEmpty && !text.hasPrefix("-") && !text.hasPrefix(".")
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-+".contains($0)) }
    }

    /// Reads `guest` on the host: an absolute path is read as it is; a name is looked up (see
    /// `configPaths`). The answer's first line says where the text came from.
    public static func definition(_ guest: String, over connection: SSHConnection) async throws(ConversionError)
        -> Definition
    {
        let script: String
        if guest.hasPrefix("/") {
            script = RemoteCommand.definitionFile.line([guest])
        } else {
            guard isGuestName(guest) else {
                throw .refused(
                    "\(guest): name the guest (web01) or the absolute path of its definition on the Xen host "
                        + "(/etc/xen/web01.cfg)")
            }
            script = RemoteCommand.definitionName.line([guest])
        }
        let (ended, output) = try await connection.run(script)
        let text = String(decoding: output, as: UTF8.self)
        guard ended.status == 0, let newline = text.firstIndex(of: "\n") else {
            let why = ended.said.isEmpty ? "exit \(ended.status)" : ended.said
            let problem = "cannot read the definition of \(guest) on \(connection.endpoint.host): \(why)"
            throw ended.status == 3 ? .refused(problem) : .failed(problem)
        }
        return Definition(text: String(text[text.index(after: newline)...]), origin: String(text[..<newline]))
    }

    /// Whether the guest runs on the host, as `xl list NAME` (or `xm list NAME` on older
    /// hosts) says there: it exits 0 only for a domain that exists.
    public enum Running: Sendable, Equatable {
        case running(tool: String)
        case notRunning(tool: String)
        /// Neither tool is on the host: nothing can be seen.
        case unknown
    }

    public static func running(_ name: String, over connection: SSHConnection) async throws(ConversionError)
        -> Running
    {
        guard isGuestName(name) else { throw .refused("\(name) is not a guest name xl would take") }
        let script = RemoteCommand.running.line([name])
        let (ended, output) = try await connection.run(script)
        let words = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard ended.status == 0, let state = words.first else {
            throw .failed("cannot ask \(connection.endpoint.host) whether \(name) runs: \(ended.said)")
        }
        let tool = words.count > 1 ? String(words[1]) : ""
        switch state {
        case "running": return .running(tool: tool)
        case "stopped": return .notRunning(tool: tool)
        default: return .unknown
        }
    }

    /// The refusal for a guest that runs there, in the words the local check uses.
    public static func refusal(_ running: Running, name: String, host: String) -> String? {
        guard case .running(let tool) = running else { return nil }
        return "the guest \(name) is running on the Xen host \(host) (`\(tool) list \(name)` lists it there): "
            + "shut it down first; a copy of a running guest's disks is not consistent"
    }

    /// Each path's identity on the host (device:inode, size, change time), or "missing": what a
    /// fleet's rerun compares to know a disk is the one it converted, without reading it.
    public static func identities(_ paths: [String], over connection: SSHConnection) async throws(ConversionError)
        -> [String: String]
    {
        guard !paths.isEmpty else { return [:] }
        let script = RemoteCommand.identities.line(paths)
        let (ended, output) = try await connection.run(script)
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        guard ended.status == 0, lines.count == paths.count else {
            throw .failed("cannot stat the disks on \(connection.endpoint.host): \(ended.said)")
        }
        return Dictionary(zip(paths, lines)) { first, _ in first }
    }
}

extension SSHEndpoint {
    /// `ssh://[USER@]HOST[:PORT]` (a trailing `/` allowed): a Xen host, as `migrate --from`
    /// and a fleet's `source` name it.
    public static func parse(url text: String) throws(ConversionError) -> SSHEndpoint {
        guard text.hasPrefix("ssh://") else {
            throw .refused("\(text): name the Xen host as ssh://[USER@]HOST[:PORT] (ssh://root@xen1)")
        }
        var authority = text.dropFirst("ssh://".count)
        if authority.hasSuffix("/") { authority.removeLast() }
        guard !authority.contains("/") else {
            throw .refused("\(text): name only the host (ssh://root@xen1); the guest is the other argument")
        }
        return try SSHEndpoint.parse(String(authority), in: text)
    }
}

extension RemoteFetch {
    /// What libblkid reads of a swap area (its signature at the end of the first page, for
    /// pages up to 64 KiB; UUID and label in it).
    public static let swapHeaderBytes = 1 << 16

    /// The first `bytes` of `source` (one `dd` there), in a new sparse staging file of the
    /// volume's whole size: a swap area's header, which is all the swap method reads of it (it
    /// makes a new area with the same UUID and label), so the rest need not cross the link.
    /// The caller decides from it, and removes it (`StagingFile.remove`).
    public static func receiveHead(
        _ source: RemoteSource, bytes: Int = swapHeaderBytes, on connection: SSHConnection, stagingDirectory: String
    ) async throws(ConversionError) -> Received {
        let started = ContinuousClock.now
        let script = RemoteCommand.head.line([source.path, String(bytes)])
        let (ended, output) = try await connection.run(script, limit: bytes + 64)
        guard ended.status == 0, let newline = output.firstIndex(of: 10),
            let size = UInt64(String(decoding: output[..<newline], as: UTF8.self))
        else {
            if ended.status == 3 { throw .refused("cannot read \(source): \(ended.said)") }
            throw .failed("cannot read the start of \(source) (exit \(ended.status)): \(ended.said)")
        }
        let head = Array(output[(newline + 1)...])
        let staging = try StagingFile.make(in: stagingDirectory)
        do {
            _ = try head.withUnsafeBytes { try staging.fd.writeAll(toAbsoluteOffset: 0, $0) }
        } catch {
            staging.remove()
            throw .failed("cannot write \(staging.path): \(error)")
        }
        guard ftruncate(staging.fd.rawValue, off_t(size)) == 0 else {
            staging.remove()
            throw .failed("cannot size \(staging.path): \(String(cString: strerror(errno)))")
        }
        try? staging.fd.close()
        return Received(
            source: source.description, transport: .dd,
            reason: "its first \(head.count) bytes only: a swap area's header (signature, UUID, label), all the swap "
                + "method reads of it", staging: staging.path, bytesReceived: UInt64(head.count),
            bytesWritten: UInt64(head.count), seconds: (ContinuousClock.now - started).inSeconds)
    }

    /// Receives `source` over a connection the caller opened (and closes): several disks of
    /// one guest, one ssh login.
    public static func fetch(
        _ source: RemoteSource, on connection: SSHConnection, options: Options, progress: any ProgressReporter
    ) async throws(ConversionError) -> Received {
        try await fetch(source, over: connection, options: options, progress: progress)
    }
}
