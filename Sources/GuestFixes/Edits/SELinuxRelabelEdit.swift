/// Creates an empty /.autorelabel when SELinux is enforcing or permissive
/// (/etc/selinux/config `SELINUX=`).
///
/// Files written from the host (these edits, rebuilt initrds, an rsync copy) do not carry the
/// guest's SELinux labels; in enforcing mode services then fail to read their own configuration.
/// With /.autorelabel present the guest relabels its filesystem on the first boot and removes the
/// file. Runs last, after every other edit.
public struct SELinuxRelabelEdit: GuestEdit {
    public let name = "selinux-relabel"
    public init() {}

    static let config = "/etc/selinux/config"
    static let marker = "/.autorelabel"

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        guard let config = try root.read(Self.config) else { return [] }
        guard let mode = Self.value(of: "SELINUX", in: config)?.lowercased(),
            mode == "enforcing" || mode == "permissive"
        else { return [] }
        guard try root.read(Self.marker) == nil else { return [] }
        return [
            FileChange(
                path: Self.marker, before: nil, after: "", edit: name,
                summary: ["created: SELinux is \(mode); the first boot relabels the files written from the host"])
        ]
    }
}

extension SELinuxRelabelEdit {
    /// The last `KEY=value` of /etc/selinux/config, quotes removed; nil when unset.
    static func value(of key: String, in config: String) -> String? {
        var value: String?
        for line in TextLines.split(config) {
            let trimmed = line.trimmingBlanks()
            guard trimmed.hasPrefix(key + "=") else { continue }
            let quotes: Set<Character> = ["\"", "'"]
            let raw = trimmed.dropFirst(key.count + 1)
            value = String(raw.drop { quotes.contains($0) }.reversed().drop { quotes.contains($0) }.reversed())
        }
        return value
    }
}
