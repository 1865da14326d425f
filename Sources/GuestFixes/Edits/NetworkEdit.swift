/// The network settings that pin the Xen network card by its MAC address.
///
/// The KVM NIC has another MAC (Xen's were 00:16:3e:…), so:
/// - `HWADDR=` lines go from /etc/sysconfig/network-scripts/ifcfg-* (not ifcfg-lo): with
///   them, the ifcfg file no longer matches the card and eth0 stays down.
/// - /etc/udev/rules.d/70-persistent-net.rules is emptied (one comment line remains saying so):
///   its rule keeps `eth0` for the Xen MAC, and the new card would become `eth1`. udev writes a
///   fresh rule for the KVM card on the first boot.
public struct NetworkEdit: GuestEdit {
    public let name = "network"
    public init() {}

    static let scripts = "/etc/sysconfig/network-scripts"
    static let persistentNetRules = "/etc/udev/rules.d/70-persistent-net.rules"
    static let emptiedRules =
        "# xen2kvm emptied this file: its rules tied interface names to the Xen MAC addresses.\n"

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        var result: [FileChange] = []
        for name in root.list(Self.scripts) where name.hasPrefix("ifcfg-") && name != "ifcfg-lo" {
            result += try rewrite("\(Self.scripts)/\(name)", in: root, Self.dropHardwareAddress)
        }
        result += try rewrite(Self.persistentNetRules, in: root, Self.emptyRules)
        return result
    }

    static func dropHardwareAddress(_ text: String) -> (text: String, summary: [String]) {
        var summary: [String] = []
        let lines = TextLines.split(text).filter { line in
            guard TextLines.trimmedStart(line).hasPrefix("HWADDR=") else { return true }
            summary.append("dropped \(line.trimmingBlanks()): the KVM network card has another MAC address")
            return false
        }
        return (TextLines.join(lines), summary)
    }

    static func emptyRules(_ text: String) -> (text: String, summary: [String]) {
        let rules = TextLines.split(text).filter { !TextLines.isCommentOrBlank($0) }
        guard !rules.isEmpty else { return (text, []) }
        return (
            emptiedRules,
            ["emptied (\(rules.count) rule\(rules.count == 1 ? "" : "s")): names were tied to the Xen MAC addresses"]
        )
    }
}
