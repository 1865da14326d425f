import Fleet
import Foundation
import Migration
import TestSupport
import Testing

/// The manifest's schema: a good manifest read and resolved exactly as the golden says, and
/// each bad one refused with a message naming the guest and the field.
@Suite struct ManifestTests {
    static let goldens = "\(Fixtures.packageRoot)/Tests/FleetTests/Goldens"

    /// The resolved guests, as the golden records them: what each guest gets from the defaults.
    static func resolvedText(_ manifest: FleetManifest, directory: String) throws -> String {
        struct Resolved: Encodable {
            var name, definition: String
            var form: String?
            var source: String
            var storage: String?
            var disks: [String: String]
            var bridgeMap: [String: String]
            var domainType: String
            var define: String?
            var start: Bool
            var force: Bool
            var fix: FleetManifest.FixSettings?
            var bootCheck: Bool
            var transport: String?
            var remoteXen2kvm: String?
        }
        let rows = manifest.resolved(relativeTo: directory).map { guest in
            Resolved(
                name: guest.name, definition: guest.definitionPath, form: guest.form?.rawValue,
                source: "\(guest.source)", storage: guest.options.storageDirectory, disks: guest.disks,
                bridgeMap: guest.options.bridgeMap, domainType: guest.options.domainType.rawValue,
                define: guest.define, start: guest.start, force: guest.options.force, fix: guest.settings.fix,
                bootCheck: guest.bootCheck, transport: guest.settings.transport?.rawValue,
                remoteXen2kvm: guest.settings.remoteXen2kvm)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n"
    }

    @Test func theGoldenManifestResolvesAsRecorded() throws {
        let text = try String(contentsOfFile: "\(Self.goldens)/fleet.json", encoding: .utf8)
        let manifest = try FleetManifest.parse(text)
        #expect(manifest.guests.map(\.name) == ["web01", "web02", "db01", "mail01", "mail02"])
        let resolved = try Self.resolvedText(manifest, directory: "/srv/fleet")
        let golden = "\(Self.goldens)/fleet.resolved.json"
        if ProcessInfo.processInfo.environment["XEN2KVM_UPDATE_GOLDENS"] != nil {
            try resolved.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        #expect(resolved == (try String(contentsOfFile: golden, encoding: .utf8)))
    }

    @Test func aRemoteSourceIsReadButNotLocal() throws {
        let text = try String(contentsOfFile: "\(Self.goldens)/fleet.json", encoding: .utf8)
        let guests = try FleetManifest.parse(text).resolved(relativeTo: "/srv/fleet")
        #expect(guests.map(\.source) == [.local, .local, .local, .ssh("root@xen1"), .ssh("root@xen2")])
    }

    static let refusals: [(String, String)] = [
        ("{", "the manifest: not JSON"),
        (#"{"guests": []}"#, "the manifest: guests: no guest: list at least one"),
        (#"{"defaults": {}}"#, "the manifest: guests: missing: this field is required"),
        (
            #"{"version": 2, "guests": [{"name": "a", "definition": "a.cfg"}]}"#,
            "the manifest: version: 2: only version 1 is known"
        ),
        (
            #"{"gusts": [], "guests": [{"name": "a", "definition": "a.cfg"}]}"#,
            "the manifest: gusts: unknown field (known: version, defaults, guests)"
        ),
        (
            #"{"defaults": {"storage": "/srv/kvm"}, "guests": [{"name": "a", "definition": "a.cfg"}]}"#,
            #"defaults: storage: "/srv/kvm": write dir:PATH, e.g. dir:/srv/kvm"#
        ),
        (
            #"{"defaults": {"fix": {"editOnly": true}}, "guests": [{"name": "a", "definition": "a.cfg"}]}"#,
            "defaults: fix.editOnly: unknown field (known: fix.profile, fix.editsOnly, fix.trustGuest, "
                + "fix.guestTimeout, fix.helpers, fix.map)"
        ),
        (
            #"{"defaults": {"start": "yes"}, "guests": [{"name": "a", "definition": "a.cfg"}]}"#,
            "defaults: start: expected true or false"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg"}, {"name": "b", "definition": "b.cfg", "brigeMap": {}}]}"#,
            "guest b (guests[1]): brigeMap: unknown field (known: name, definition, form, disks, source, storage, "
                + "bridgeMap, domainType, define, start, force, fix, bootCheck, transport, remoteXen2kvm)"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg"}, {"definition": "b.cfg"}]}"#,
            "guests[1]: name: missing: this field is required"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg"}, {"name": "a", "definition": "b.cfg"}]}"#,
            #"guest a (guests[1]): name: "a" is also guests[0]'s: names are unique"#
        ),
        (
            #"{"guests": [{"name": "../etc", "definition": "a.cfg"}]}"#,
            #"guest ../etc (guests[0]): name: "../etc": use letters, digits, '.', '_' and '-' (it names a state "#
                + "file), at most 64"
        ),
        (
            #"{"guests": [{"name": "a", "definition": ""}]}"#,
            "guest a (guests[0]): definition: empty: name the guest's Xen definition file"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "domainType": "xen"}]}"#,
            #"guest a (guests[0]): domainType: "xen": kvm or qemu"#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "form": "yaml"}]}"#,
            #"guest a (guests[0]): form: "yaml": xl, xm, xl-json, libvirt-xml"#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "start": 1}]}"#,
            "guest a (guests[0]): start: expected true or false"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "disks": {"vda": "/dev/vg/a"}}]}"#,
            #"guest a (guests[0]): disks: "vda": a Xen vdev, e.g. xvda1"#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "bridgeMap": {"xenbr0": ""}}]}"#,
            #"guest a (guests[0]): bridgeMap: "xenbr0": "": a bridge name on each side, e.g. "xenbr0": "br0""#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "source": "xen1"}]}"#,
            #"guest a (guests[0]): source: "xen1": write "local" or ssh://[user@]host (e.g. ssh://root@xen1)"#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "define": "system"}]}"#,
            #"guest a (guests[0]): define: "system": a libvirt URI, e.g. qemu:///system"#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "fix": {"profile": "windows"}}]}"#,
            #"guest a (guests[0]): fix.profile: "windows": one of auto, centos5, centos6, centos7, el8, suse, "#
                + "arch, debian, none, or a helper script's absolute path"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "fix": {"guestTimeout": 0}}]}"#,
            "guest a (guests[0]): fix.guestTimeout: 0: seconds, above 0"
        ),
        // The transports are Remote's Transport's names, as `migrate --transport` takes them.
        (
            #"{"defaults": {"transport": "rsync"}, "guests": [{"name": "a", "definition": "a.cfg"}]}"#,
            #"defaults: transport: "rsync": one of auto, e2image, dd, x2k"#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a", "source": "ssh://root@xen1", "transport": "X2K"}]}"#,
            #"guest a (guests[0]): transport: "X2K": one of auto, e2image, dd, x2k"#
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a", "source": "ssh://root@xen1", "transport": true}]}"#,
            "guest a (guests[0]): transport: expected a string"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "transport": "dd"}]}"#,
            "guest a (guests[0]): transport: for a guest on a Xen host: set its source (e.g. ssh://root@xen1), "
                + "or remove transport"
        ),
        (
            #"{"guests": [{"name": "a", "definition": "a.cfg", "remoteXen2kvm": "xen2kvm"}]}"#,
            "guest a (guests[0]): remoteXen2kvm: for a guest on a Xen host: set its source (e.g. ssh://root@xen1), "
                + "or remove remoteXen2kvm"
        ),
        (
            #"{"defaults": {"remoteXen2kvm": "bin/xen2kvm"}, "guests": [{"name": "a", "definition": "a.cfg"}]}"#,
            #"defaults: remoteXen2kvm: "bin/xen2kvm": a name on the Xen host's PATH or an absolute path"#
        ),
    ]

    @Test(arguments: refusals) func eachBadManifestIsRefusedByName(_ text: String, _ expected: String) {
        do {
            _ = try FleetManifest.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(text)")
        }
    }
}
