/// Removes the systemd getty links for Xen's consoles (`serial-getty@hvc0.service`,
/// `serial-getty@xvc0.service` in getty.target.wants).
///
/// Under KVM those devices never appear, so the unit waits for them and fails at every boot.
/// The serial getty the guest needs comes by itself: with `console=ttyS0` on the kernel
/// command line (the grub edits), systemd's getty generator starts serial-getty@ttyS0. Only
/// the link is removed (the directory entry), never the unit file it points to.
public struct SystemdConsoleEdit: GuestEdit {
    public let name = "systemd-console"
    public init() {}

    static let directories = ["/etc/systemd/system/getty.target.wants", "/etc/systemd/system/multi-user.target.wants"]
    static let units = ["serial-getty@hvc0.service", "serial-getty@xvc0.service", "getty@hvc0.service"]

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        var result: [FileChange] = []
        for directory in Self.directories {
            for name in root.list(directory) where Self.units.contains(name) {
                let path = "\(directory)/\(name)"
                guard root.kind(of: path, followLast: false) == .symlink else { continue }
                // The unit's text, for the diff; the link itself is what goes.
                let before = (try? root.read(path)) ?? ""
                let console = name.split(separator: "@").last?.split(separator: ".").first ?? ""
                result.append(
                    FileChange(
                        path: path, before: before, after: nil, edit: self.name,
                        summary: ["removed the getty link for \(console): no such console under KVM"]))
            }
        }
        return result
    }
}
