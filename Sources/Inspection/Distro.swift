/// Which distribution and release a guest runs.
public struct DistroFacts: Sendable, Codable, Equatable {
    /// Lower-case id as os-release spells it: "centos", "rhel", "debian", "ubuntu" …; "unknown".
    public var id: String
    /// The most precise release found: "5.11", "6.10", "7.9.2009", "12.7".
    public var version: String
    public var prettyName: String
    /// The files the facts came from.
    public var evidence: [String]

    /// The major release as a number, when the version starts with one.
    public var majorVersion: Int? { Int(version.prefix { $0.isNumber }) }
}

/// Reads distro facts from os-release and the older release files.
///
/// EL5/EL6 have no os-release; EL7's os-release says only "7" while centos-release says
/// "7.9.2009", so the release files win on precision. Debian's debian_version ("12.7") is
/// more precise than os-release's VERSION_ID ("12"). SLES 11 has only /etc/SuSE-release
/// (`VERSION = 11`, `PATCHLEVEL = 4`: "11.4"). Arch, rolling, has no VERSION_ID: version "".
enum DistroDetector {
    static func detect(_ guest: some GuestFileSource) -> DistroFacts {
        var facts = DistroFacts(id: "unknown", version: "", prettyName: "", evidence: [])
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            guard let text = try? guest.readText(path) else { continue }
            let fields = parseOSRelease(text)
            facts.id = fields["ID"]?.lowercased() ?? facts.id
            facts.version = fields["VERSION_ID"] ?? ""
            facts.prettyName = fields["PRETTY_NAME"] ?? fields["NAME"] ?? ""
            facts.evidence.append(path)
            break
        }
        for path in ["/etc/centos-release", "/etc/redhat-release"] {
            guard let text = try? guest.readText(path), let line = firstLine(text) else { continue }
            let (id, version) = parseRedHatRelease(line)
            if facts.id == "unknown" || facts.id == id { facts.id = id }
            if version.count > facts.version.count && version.hasPrefix(facts.version) {
                facts.version = version
            }
            if facts.prettyName.isEmpty { facts.prettyName = line }
            facts.evidence.append(path)
            break
        }
        if facts.id == "unknown", let text = try? guest.readText("/etc/SuSE-release") {
            (facts.id, facts.version, facts.prettyName) = parseSuSERelease(text)
            facts.evidence.append("/etc/SuSE-release")
        }
        if let text = try? guest.readText("/etc/debian_version"), let line = firstLine(text) {
            if facts.id == "unknown" { facts.id = "debian" }
            if facts.id == "debian", line.first?.isNumber == true { facts.version = line }
            if facts.prettyName.isEmpty { facts.prettyName = "Debian \(line)" }
            facts.evidence.append("/etc/debian_version")
        }
        return facts
    }

    /// KEY=value lines, values optionally quoted.
    static func parseOSRelease(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingWhitespace()
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals])
            var value = trimmed[trimmed.index(after: equals)...]
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'",
                value.last == quote
            {
                value = value.dropFirst().dropLast()
            }
            fields[key] = String(value)
        }
        return fields
    }

    /// "CentOS release 6.10 (Final)" → ("centos", "6.10").
    static func parseRedHatRelease(_ line: String) -> (id: String, version: String) {
        let lower = line.lowercased()
        let id: String
        if lower.hasPrefix("centos") {
            id = "centos"
        } else if lower.hasPrefix("red hat") {
            id = "rhel"
        } else if lower.hasPrefix("scientific") {
            id = "scientific"
        } else if lower.hasPrefix("oracle") {
            id = "ol"
        } else if lower.hasPrefix("fedora") {
            id = "fedora"
        } else if lower.hasPrefix("rocky") {
            id = "rocky"
        } else if lower.hasPrefix("almalinux") {
            id = "almalinux"
        } else {
            id = "unknown"
        }
        let words = line.split(separator: " ")
        guard let releaseIndex = words.firstIndex(where: { $0.lowercased() == "release" }),
            releaseIndex + 1 < words.count
        else {
            return (id, "")
        }
        return (id, String(words[releaseIndex + 1]))
    }

    /// "SUSE Linux Enterprise Server 11 (x86_64)" / `VERSION = 11` / `PATCHLEVEL = 4` →
    /// ("sles", "11.4", first line); openSUSE's file gives "opensuse".
    static func parseSuSERelease(_ text: String) -> (id: String, version: String, prettyName: String) {
        let first = firstLine(text) ?? ""
        let lower = first.lowercased()
        let id =
            lower.hasPrefix("opensuse")
            ? "opensuse" : lower.contains("enterprise desktop") ? "sled" : lower.hasPrefix("suse") ? "sles" : "unknown"
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            fields[String(parts[0].trimmingWhitespace())] = String(parts[1].trimmingWhitespace())
        }
        var version = fields["VERSION"] ?? ""
        if let patch = fields["PATCHLEVEL"], patch != "0", !version.isEmpty { version += ".\(patch)" }
        return (id, version, first)
    }

    static func firstLine(_ text: String) -> String? {
        let line = text.split(separator: "\n").first.map { $0.trimmingWhitespace() }
        return line.flatMap { $0.isEmpty ? nil : String($0) }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and CRs.
    func trimmingWhitespace() -> Substring {
        let chars = Substring(self)
        let start = chars.firstIndex { !$0.isWhitespace } ?? chars.endIndex
        let end = chars.lastIndex { !$0.isWhitespace }.map { chars.index(after: $0) } ?? start
        return chars[start..<Swift.max(start, end)]
    }
}
