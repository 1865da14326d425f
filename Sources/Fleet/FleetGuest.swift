import GuestFixes
import Migration
import XenDefinition

/// One guest of a manifest with the defaults applied and its paths made absolute: what the
/// fleet plans and runs.
public struct FleetGuest: Sendable {
    public var name: String
    /// The definition: a file here, or for a guest on a Xen host, its path or guest name there.
    public var definitionPath: String
    public var form: DefinitionForm?
    public var source: FleetManifest.Settings.Source
    public var options: MigrationOptions
    public var define: String?
    public var start: Bool
    /// Boot-check the converted guest before it is defined.
    public var bootCheck: Bool
    /// The settings as resolved, for the fingerprints and the report.
    public var settings: FleetManifest.Settings
    public var disks: [String: String]
}

extension FleetManifest {
    /// Every guest with the defaults under it; relative paths are `directory`'s (the manifest's).
    public func resolved(relativeTo directory: String) -> [FleetGuest] {
        guests.map { resolve($0, directory: directory) }
    }

    static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory + path : "\(directory)/\(path)")
    }

    func resolve(_ guest: Guest, directory: String) -> FleetGuest {
        let own = guest.settings
        var merged = Settings()
        merged.source = own.source ?? defaults.source
        merged.storage = (own.storage ?? defaults.storage).map { spec in
            MigrationOptions.storageDirectory(from: spec).map { "dir:" + Self.absolute($0, in: directory) } ?? spec
        }
        let bridges = (defaults.bridgeMap ?? [:]).merging(own.bridgeMap ?? [:]) { _, guest in guest }
        merged.bridgeMap = bridges.isEmpty ? nil : bridges
        merged.domainType = own.domainType ?? defaults.domainType
        merged.define = own.define ?? defaults.define
        merged.start = own.start ?? defaults.start
        merged.force = own.force ?? defaults.force
        merged.bootCheck = own.bootCheck ?? defaults.bootCheck
        let source = Settings.source(merged.source) ?? .local
        // How disks come over is a remote guest's only (validate refuses a local guest's own).
        if source != .local {
            merged.transport = own.transport ?? defaults.transport
            merged.remoteXen2kvm = own.remoteXen2kvm ?? defaults.remoteXen2kvm
        }
        var fix = FixSettings()
        let base = defaults.fix ?? FixSettings()
        let mine = own.fix ?? FixSettings()
        fix.profile = mine.profile ?? base.profile
        fix.editsOnly = mine.editsOnly ?? base.editsOnly
        fix.trustGuest = mine.trustGuest ?? base.trustGuest
        fix.guestTimeout = mine.guestTimeout ?? base.guestTimeout
        fix.helpers = mine.helpers ?? base.helpers
        let maps = (base.map ?? [:]).merging(mine.map ?? [:]) { _, guest in guest }
        fix.map = maps.isEmpty ? nil : maps
        merged.fix = fix == FixSettings() ? nil : fix

        var options = MigrationOptions()
        options.storageDirectory = merged.storage.flatMap(MigrationOptions.storageDirectory(from:))
        let disks = (guest.disks ?? [:]).mapValues { Self.absolute($0, in: directory) }
        options.diskTargets = disks
        options.bridgeMap = bridges
        options.domainType = merged.domainType ?? .kvm
        options.force = merged.force ?? false
        var fixOptions = FixOptions(disk: "")
        fixOptions.profile = fix.profile ?? "auto"
        fixOptions.editsOnly = fix.editsOnly ?? false
        fixOptions.helpers = fix.helpers ?? []
        fixOptions.programs.trusted = fix.trustGuest ?? false
        if let seconds = fix.guestTimeout { fixOptions.programs.limits.seconds = seconds }
        fixOptions.deviceMap = maps
        options.fix = fixOptions
        // A remote guest's definition is a path or a guest name on its Xen host, as it is.
        let definition = source == .local ? Self.absolute(guest.definition, in: directory) : guest.definition
        return FleetGuest(
            name: guest.name, definitionPath: definition, form: guest.form, source: source, options: options,
            define: merged.define,
            start: merged.start ?? false, bootCheck: merged.bootCheck ?? false, settings: merged, disks: disks)
    }
}
