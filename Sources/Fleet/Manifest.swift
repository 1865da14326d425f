import FoundationEssentials
import GuestFixes
import Migration
import Remote
import XenDefinition

/// A fleet manifest (JSON): defaults, and the guests, each with its definition, storage and
/// bridge map, and any setting of the defaults overridden for it.
///
/// ```json
/// {
///   "version": 1,
///   "defaults": {"storage": "dir:/srv/kvm", "bridgeMap": {"xenbr0": "br0"}, "fix": {"editsOnly": true},
///                "bootCheck": true},
///   "guests": [
///     {"name": "web01", "definition": "/etc/xen/web01.cfg"},
///     {"name": "db01", "definition": "db01.cfg", "domainType": "qemu", "storage": "dir:/srv/kvm-db"}
///   ]
/// }
/// ```
///
/// Unknown fields are refused (a misspelt `brigeMap` would otherwise be a silent default), and
/// every refusal names the guest and the field.
public struct FleetManifest: Sendable, Codable, Equatable {
    public var version: Int?
    public var defaults: Settings
    public var guests: [Guest]

    /// What the defaults and each guest may set; a guest's value wins over the default's.
    public struct Settings: Sendable, Codable, Equatable {
        /// Where the guest is: absent or "local" (this host), or its Xen host "ssh://user@host",
        /// where its definition (a path, or the guest's name in /etc/xen) and disks are read.
        public var source: String?
        /// `dir:PATH`, as `migrate --storage`; a relative PATH is the manifest's directory's.
        public var storage: String?
        /// Xen bridge → host bridge, merged key by key over the defaults'.
        public var bridgeMap: [String: String]?
        public var domainType: DomainType?
        /// A libvirt URI to define the domain on, after the checks (`migrate --define`).
        public var define: String?
        public var start: Bool?
        /// Overwrite targets (and the domain XML) that hold data and this fleet did not make.
        public var force: Bool?
        public var fix: FixSettings?
        /// Boot the converted guest under QEMU after its domain is written and before it is
        /// defined (`migrate --boot-check`); a guest that does not reach its login prompt stops there.
        public var bootCheck: Bool?
        /// For a guest on a Xen host: how its disks come over, as `migrate --transport` (auto,
        /// x2k, e2image, dd); absent: the fleet's `--transport`.
        public var transport: Transport?
        /// For a guest on a Xen host: the xen2kvm there, for x2k (`migrate --remote-xen2kvm`: a
        /// name on its PATH or an absolute path); absent: the fleet's `--remote-xen2kvm`.
        public var remoteXen2kvm: String?

        public init() {}
    }

    /// `fix`'s options, field by field over the defaults'.
    public struct FixSettings: Sendable, Codable, Equatable {
        public var profile: String?
        public var editsOnly: Bool?
        public var trustGuest: Bool?
        public var guestTimeout: Int?
        public var helpers: [String]?
        /// Extra Xen → KVM names, as `--map` (the definition's own map comes first).
        public var map: [String: String]?

        public init() {}
    }

    public struct Guest: Sendable, Codable, Equatable {
        /// The fleet's name for the guest: its state file, its lock, `--only NAME`.
        public var name: String
        /// Its Xen definition file; a relative path is the manifest's directory's. For a guest
        /// on a Xen host (`source`): the absolute path there, or the guest's name (/etc/xen/NAME.cfg).
        public var definition: String
        public var form: DefinitionForm?
        /// Targets by Xen vdev, as `migrate --disk`; they win over the storage directory.
        public var disks: [String: String]?
        public var settings: Settings

        public init(name: String, definition: String) {
            self.name = name
            self.definition = definition
            settings = Settings()
        }
    }

    public init(defaults: Settings = Settings(), guests: [Guest]) {
        self.defaults = defaults
        self.guests = guests
    }
}

/// A manifest that cannot be used: where (the defaults, or a guest by name and index), which
/// field, and what is wrong.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var place: String
    public var field: String?
    public var problem: String

    public init(place: String, field: String?, problem: String) {
        self.place = place
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(place): " + (field.map { "\($0): " } ?? "") + problem }
}

extension FleetManifest {
    /// Parses and validates manifest text.
    public static func parse(_ text: String) throws(ManifestError) -> FleetManifest {
        let manifest: FleetManifest
        do {
            manifest = try JSONDecoder().decode(FleetManifest.self, from: Data(text.utf8))
        } catch let error as ManifestError {
            throw error
        } catch let error as DecodingError {
            throw ManifestError(decoding: error, place: "the manifest")
        } catch {
            throw ManifestError(place: "the manifest", field: nil, problem: "\(error)")
        }
        try manifest.validate()
        return manifest
    }

    public func validate() throws(ManifestError) {
        if let version, version != 1 {
            throw ManifestError(place: "the manifest", field: "version", problem: "\(version): only version 1 is known")
        }
        try defaults.validate(place: "defaults")
        guard !guests.isEmpty else {
            throw ManifestError(place: "the manifest", field: "guests", problem: "no guest: list at least one")
        }
        var seen: [String: Int] = [:]
        for (index, guest) in guests.enumerated() {
            let place = Self.place(guest.name, index)
            if let other = seen[guest.name] {
                throw ManifestError(
                    place: place, field: "name",
                    problem: "\"\(guest.name)\" is also guests[\(other)]'s: names are unique")
            }
            seen[guest.name] = index
            try guest.validate(place: place)
            try guest.validateRemoteOnly(defaultSource: defaults.source, place: place)
        }
    }

    static func place(_ name: String?, _ index: Int) -> String {
        name.map { "guest \($0) (guests[\(index)])" } ?? "guests[\(index)]"
    }
}

extension FleetManifest.Guest {
    /// [A-Za-z0-9][A-Za-z0-9._-]{0,63}: it names a state file and a lock.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 64 else { return false }
        func plain(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c)) }
        return plain(first) && name.unicodeScalars.allSatisfy { plain($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    func validate(place: String) throws(ManifestError) {
        guard Self.isValidName(name) else {
            throw ManifestError(
                place: place, field: "name",
                problem: "\"\(name)\": use letters, digits, '.', '_' and '-' (it names a state file), at most 64")
        }
        guard !definition.isEmpty else {
            throw ManifestError(
                place: place, field: "definition", problem: "empty: name the guest's Xen definition file")
        }
        for (vdev, target) in (disks ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard vdev.hasPrefix("xvd") || vdev.hasPrefix("sd") || vdev.hasPrefix("hd"), vdev.count > 2,
                vdev.allSatisfy({ $0.isLetter || $0.isNumber })
            else {
                throw ManifestError(place: place, field: "disks", problem: "\"\(vdev)\": a Xen vdev, e.g. xvda1")
            }
            guard !target.isEmpty else {
                throw ManifestError(place: place, field: "disks.\(vdev)", problem: "empty: name the disk's target")
            }
        }
        try settings.validate(place: place)
    }

    /// A guest's own transport or remote xen2kvm is for a guest on a Xen host: on a local one
    /// it would be ignored, so it is refused (the defaults' apply to the remote guests only).
    func validateRemoteOnly(defaultSource: String?, place: String) throws(ManifestError) {
        guard FleetManifest.Settings.source(settings.source ?? defaultSource) == .local else { return }
        for (field, isSet) in [
            ("transport", settings.transport != nil), ("remoteXen2kvm", settings.remoteXen2kvm != nil),
        ]
        where isSet {
            throw ManifestError(
                place: place, field: field,
                problem: "for a guest on a Xen host: set its source (e.g. ssh://root@xen1), or remove \(field)")
        }
    }
}

extension FleetManifest.Settings {
    /// What `source` names once read: this host, or a Xen host over ssh.
    public enum Source: Sendable, Equatable {
        case local
        case ssh(String)
    }

    /// nil for an unreadable spelling.
    public static func source(_ text: String?) -> Source? {
        guard let text, text != "local", !text.isEmpty else { return .local }
        guard text.hasPrefix("ssh://") else { return nil }
        let rest = text.dropFirst(6)
        let host = rest.split(separator: "@", maxSplits: 1).last ?? ""
        guard !rest.isEmpty, !host.isEmpty, !rest.contains("/"), !rest.contains(where: \.isWhitespace) else {
            return nil
        }
        return .ssh(String(rest))
    }

    func validate(place: String) throws(ManifestError) {
        if Self.source(source) == nil {
            throw ManifestError(
                place: place, field: "source",
                problem: "\"\(source ?? "")\": write \"local\" or ssh://[user@]host (e.g. ssh://root@xen1)")
        }
        if let storage, MigrationOptions.storageDirectory(from: storage) == nil {
            throw ManifestError(
                place: place, field: "storage", problem: "\"\(storage)\": write dir:PATH, e.g. dir:/srv/kvm")
        }
        for (xen, kvm) in (bridgeMap ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard !xen.isEmpty, !kvm.isEmpty, !(xen + kvm).contains(where: { $0.isWhitespace || $0 == "/" }) else {
                throw ManifestError(
                    place: place, field: "bridgeMap",
                    problem: "\"\(xen)\": \"\(kvm)\": a bridge name on each side, e.g. \"xenbr0\": \"br0\"")
            }
        }
        if let define, define.isEmpty || !define.contains(":") {
            throw ManifestError(
                place: place, field: "define", problem: "\"\(define)\": a libvirt URI, e.g. qemu:///system")
        }
        if let remoteXen2kvm,
            remoteXen2kvm.isEmpty || remoteXen2kvm.contains(where: \.isWhitespace)
                || (remoteXen2kvm.contains("/") && !remoteXen2kvm.hasPrefix("/"))
        {
            throw ManifestError(
                place: place, field: "remoteXen2kvm",
                problem:
                    "\"\(remoteXen2kvm)\": a name on the Xen host's PATH or an absolute path, e.g. /usr/local/sbin/xen2kvm"
            )
        }
        try fix?.validate(place: place)
    }
}

extension FleetManifest.FixSettings {
    func validate(place: String) throws(ManifestError) {
        if let profile, !Profile.all.contains(profile) && !profile.hasPrefix("/") {
            throw ManifestError(
                place: place, field: "fix.profile",
                problem:
                    "\"\(profile)\": one of \(Profile.all.joined(separator: ", ")), or a helper script's absolute path")
        }
        if let guestTimeout, guestTimeout <= 0 {
            throw ManifestError(place: place, field: "fix.guestTimeout", problem: "\(guestTimeout): seconds, above 0")
        }
        for helper in helpers ?? [] where !helper.hasPrefix("/") {
            throw ManifestError(place: place, field: "fix.helpers", problem: "\"\(helper)\": an absolute path")
        }
        for (xen, kvm) in (map ?? [:]).sorted(by: { $0.key < $1.key }) where xen.isEmpty || kvm.isEmpty {
            throw ManifestError(
                place: place, field: "fix.map", problem: "\"\(xen)\": \"\(kvm)\": write XEN: KVM, e.g. xvdc: vdb")
        }
    }
}

// MARK: Decoding: unknown fields refused, every error placed.

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension KeyedDecodingContainer where Key == AnyKey {
    /// Refuses a key not in `known`, naming it and the known ones.
    func refuseUnknown(_ known: [String], place: String, prefix: String = "") throws(ManifestError) {
        for key in allKeys.map(\.stringValue).sorted() where !known.contains(key) {
            throw ManifestError(
                place: place, field: prefix + key,
                problem: "unknown field (known: \(known.map { prefix + $0 }.joined(separator: ", ")))")
        }
    }

    /// The value of `name`, one of `Choice`'s names, if present; another name is refused with
    /// `allowed` (the values, as the message lists them).
    func decodeChoice<Choice: RawRepresentable>(_: Choice.Type, _ name: String, allowed: String) throws -> Choice?
    where Choice.RawValue == String {
        let key = AnyKey(stringValue: name)
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let known = Choice(rawValue: raw) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath + [key], debugDescription: "\"\(raw)\": \(allowed)"))
        }
        return known
    }
}

extension ManifestError {
    init(decoding error: DecodingError, place: String) {
        func path(_ keys: [any CodingKey]) -> String? {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? nil : String(text.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(let type, let context):
            self.init(place: place, field: path(context.codingPath), problem: "expected \(Self.kind(type))")
        case .valueNotFound(let type, let context):
            self.init(place: place, field: path(context.codingPath), problem: "expected \(Self.kind(type)), not null")
        case .keyNotFound(let key, let context):
            self.init(
                place: place, field: path(context.codingPath + [key]), problem: "missing: this field is required")
        case .dataCorrupted(let context):
            let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            self.init(
                place: place, field: path(context.codingPath),
                problem: context.codingPath.isEmpty ? "not JSON: \(detail)" : context.debugDescription)
        @unknown default:
            self.init(place: place, field: nil, problem: "\(error)")
        }
    }

    static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type: "a whole number"
        case is [String: String].Type: "an object of strings"
        case is [String].Type: "a list of strings"
        default: String(describing: type).contains("Array") ? "a list" : "an object"
        }
    }
}

extension FleetManifest {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        try container.refuseUnknown(["version", "defaults", "guests"], place: "the manifest")
        version = try container.decodeIfPresent(Int.self, forKey: AnyKey(stringValue: "version"))
        do {
            defaults = try container.decodeIfPresent(Settings.self, forKey: AnyKey(stringValue: "defaults")) ?? .init()
        } catch var error as ManifestError {
            if error.place.isEmpty { error.place = "defaults" }
            throw error
        } catch let error as DecodingError {
            throw ManifestError(decoding: error.relative(to: 1), place: "defaults")
        }
        guests = try container.decode([Guest].self, forKey: AnyKey(stringValue: "guests"))
    }
}

extension FleetManifest.Settings {
    static let keys = [
        "source", "storage", "bridgeMap", "domainType", "define", "start", "force", "fix", "bootCheck", "transport",
        "remoteXen2kvm",
    ]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        try container.refuseUnknown(Self.keys, place: "defaults")
        try self.init(container)
    }

    init(_ container: KeyedDecodingContainer<AnyKey>) throws {
        func key(_ name: String) -> AnyKey { AnyKey(stringValue: name) }
        source = try container.decodeIfPresent(String.self, forKey: key("source"))
        storage = try container.decodeIfPresent(String.self, forKey: key("storage"))
        bridgeMap = try container.decodeIfPresent([String: String].self, forKey: key("bridgeMap"))
        domainType = try container.decodeChoice(DomainType.self, "domainType", allowed: "kvm or qemu")
        define = try container.decodeIfPresent(String.self, forKey: key("define"))
        start = try container.decodeIfPresent(Bool.self, forKey: key("start"))
        force = try container.decodeIfPresent(Bool.self, forKey: key("force"))
        fix = try container.decodeIfPresent(FleetManifest.FixSettings.self, forKey: key("fix"))
        bootCheck = try container.decodeIfPresent(Bool.self, forKey: key("bootCheck"))
        transport = try container.decodeChoice(
            Transport.self, "transport", allowed: "one of \(Transport.allCases.map(\.rawValue).joined(separator: ", "))"
        )
        remoteXen2kvm = try container.decodeIfPresent(String.self, forKey: key("remoteXen2kvm"))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        try encode(into: &container)
    }

    func encode(into container: inout KeyedEncodingContainer<AnyKey>) throws {
        func key(_ name: String) -> AnyKey { AnyKey(stringValue: name) }
        try container.encodeIfPresent(source, forKey: key("source"))
        try container.encodeIfPresent(storage, forKey: key("storage"))
        try container.encodeIfPresent(bridgeMap, forKey: key("bridgeMap"))
        try container.encodeIfPresent(domainType, forKey: key("domainType"))
        try container.encodeIfPresent(define, forKey: key("define"))
        try container.encodeIfPresent(start, forKey: key("start"))
        try container.encodeIfPresent(force, forKey: key("force"))
        try container.encodeIfPresent(fix, forKey: key("fix"))
        try container.encodeIfPresent(bootCheck, forKey: key("bootCheck"))
        try container.encodeIfPresent(transport, forKey: key("transport"))
        try container.encodeIfPresent(remoteXen2kvm, forKey: key("remoteXen2kvm"))
    }
}

extension FleetManifest.FixSettings {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        // The place is completed by whoever decodes the defaults or the guest.
        try container.refuseUnknown(
            ["profile", "editsOnly", "trustGuest", "guestTimeout", "helpers", "map"], place: "", prefix: "fix.")
        func key(_ name: String) -> AnyKey { AnyKey(stringValue: name) }
        profile = try container.decodeIfPresent(String.self, forKey: key("profile"))
        editsOnly = try container.decodeIfPresent(Bool.self, forKey: key("editsOnly"))
        trustGuest = try container.decodeIfPresent(Bool.self, forKey: key("trustGuest"))
        guestTimeout = try container.decodeIfPresent(Int.self, forKey: key("guestTimeout"))
        helpers = try container.decodeIfPresent([String].self, forKey: key("helpers"))
        map = try container.decodeIfPresent([String: String].self, forKey: key("map"))
    }
}

extension FleetManifest.Guest {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let index = decoder.codingPath.last?.intValue ?? 0
        let name = try? container.decode(String.self, forKey: AnyKey(stringValue: "name"))
        let place = FleetManifest.place(name, index)
        do {
            try container.refuseUnknown(
                ["name", "definition", "form", "disks"] + FleetManifest.Settings.keys, place: place)
            func key(_ name: String) -> AnyKey { AnyKey(stringValue: name) }
            self.name = try container.decode(String.self, forKey: key("name"))
            definition = try container.decode(String.self, forKey: key("definition"))
            form = try container.decodeChoice(
                DefinitionForm.self, "form", allowed: DefinitionForm.allCases.map(\.rawValue).joined(separator: ", "))
            disks = try container.decodeIfPresent([String: String].self, forKey: key("disks"))
            settings = try FleetManifest.Settings(container)
        } catch var error as ManifestError {
            if error.place.isEmpty { error.place = place }
            throw error
        } catch let error as DecodingError {
            throw ManifestError(decoding: error.relative(to: decoder.codingPath.count), place: place)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encode(name, forKey: AnyKey(stringValue: "name"))
        try container.encode(definition, forKey: AnyKey(stringValue: "definition"))
        try container.encodeIfPresent(form, forKey: AnyKey(stringValue: "form"))
        try container.encodeIfPresent(disks, forKey: AnyKey(stringValue: "disks"))
        try settings.encode(into: &container)
    }
}

extension DecodingError {
    /// The same error with the first `depth` keys of its path dropped (they are in the place).
    func relative(to depth: Int) -> DecodingError {
        switch self {
        case .typeMismatch(let type, let context): .typeMismatch(type, context.dropping(depth))
        case .valueNotFound(let type, let context): .valueNotFound(type, context.dropping(depth))
        case .keyNotFound(let key, let context): .keyNotFound(key, context.dropping(depth))
        case .dataCorrupted(let context): .dataCorrupted(context.dropping(depth))
        @unknown default: self
        }
    }
}

extension DecodingError.Context {
    func dropping(_ depth: Int) -> Self {
        .init(
            codingPath: Array(codingPath.dropFirst(depth)), debugDescription: debugDescription,
            underlyingError: underlyingError)
    }
}
