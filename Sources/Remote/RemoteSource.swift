import Conversion

/// A disk on another host, named `ssh://[USER@]HOST[:PORT]/PATH`: the Xen host's volume
/// (`ssh://root@xen1/dev/vg0/web01`) or image file, read over ssh and never written.
public struct RemoteSource: Sendable, Equatable, CustomStringConvertible {
    public var endpoint: SSHEndpoint
    /// The absolute path on the remote host.
    public var path: String

    public init(endpoint: SSHEndpoint, path: String) {
        self.endpoint = endpoint
        self.path = path
    }

    public var description: String { "ssh://\(endpoint.authority)\(path)" }

    /// Whether `text` names a remote source at all (then `parse` says whether it is a good one).
    public static func isRemote(_ text: String) -> Bool { text.hasPrefix("ssh://") }

    /// `ssh://[USER@]HOST[:PORT]/PATH`; nil for anything not starting with `ssh://` (a local
    /// path). A malformed URL is a usage error that says what is wrong.
    public static func parse(_ text: String) throws(ConversionError) -> RemoteSource? {
        guard isRemote(text) else { return nil }
        let rest = text.dropFirst("ssh://".count)
        guard let slash = rest.firstIndex(of: "/") else {
            throw .refused("\(text): name the disk's path after the host (ssh://root@xen1/dev/vg0/web01)")
        }
        let endpoint = try SSHEndpoint.parse(String(rest[..<slash]), in: text)
        let path = String(rest[slash...])
        guard path.count > 1, !path.contains("\0") else {
            throw .refused("\(text): name the disk's path after the host (ssh://root@xen1/dev/vg0/web01)")
        }
        return RemoteSource(endpoint: endpoint, path: path)
    }
}

/// The host part of an ssh URL: what `ssh` is given as its destination and `-p`.
public struct SSHEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var user: String?
    public var host: String
    public var port: Int?

    public init(user: String? = nil, host: String, port: Int? = nil) {
        self.user = user
        self.host = host
        self.port = port
    }

    /// `[USER@]HOST`, as ssh takes it.
    public var destination: String { user.map { "\($0)@\(host)" } ?? host }

    /// `[USER@]HOST[:PORT]`, as the URL has it.
    public var authority: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return (user.map { "\($0)@" } ?? "") + shownHost + (port.map { ":\($0)" } ?? "")
    }

    public var description: String { authority }

    /// `[USER@]HOST[:PORT]` (an IPv6 address in brackets); `url` is for messages.
    public static func parse(_ authority: String, in url: String) throws(ConversionError) -> SSHEndpoint {
        var hostPort = Substring(authority)
        var user: String?
        if let at = authority.lastIndex(of: "@") {
            user = String(authority[..<at])
            hostPort = authority[authority.index(after: at)...]
        }
        var host = hostPort
        var port: Int?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .refused("\(url): an unclosed [ in the host") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else {
                    throw .refused("\(url): a port is a number after the host")
                }
                port = value
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            guard let value = Int(hostPort[hostPort.index(after: colon)...]) else {
                throw .refused("\(url): a port is a number after the host")
            }
            host = hostPort[..<colon]
            port = value
        }
        if let port, !(1...65535).contains(port) { throw .refused("\(url): port \(port) is out of range") }
        // Nothing ssh would read as an option, nothing a shell would read as anything else.
        let allowed: (Character) -> Bool = { $0.isLetter || $0.isNumber || "._-:%".contains($0) }
        guard !host.isEmpty, !host.hasPrefix("-"), host.allSatisfy(allowed) else {
            throw .refused("\(url): \"\(host)\" is not a host name or address")
        }
        if let user {
            guard !user.isEmpty, !user.hasPrefix("-"),
                user.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) })
            else { throw .refused("\(url): \"\(user)\" is not a user name") }
        }
        return SSHEndpoint(user: user, host: String(host), port: port)
    }
}

/// Quoting for the remote shell: every remote command is built from fixed words and paths
/// quoted here.
public enum Shell {
    public static func quote(_ word: String) -> String {
        var quoted = "'"
        for character in word {
            if character == "'" { quoted += "'\\''" } else { quoted.append(character) }
        }
        return quoted + "'"
    }
}
