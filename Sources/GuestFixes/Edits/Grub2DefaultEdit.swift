/// /etc/default/grub, which grub-mkconfig (update-grub) turns into grub.cfg on grub2 guests
/// (CentOS 7, Debian, Ubuntu).
///
/// - `GRUB_CMDLINE_LINUX` and `GRUB_CMDLINE_LINUX_DEFAULT` get the command-line edits of
///   `KernelArguments`: the serial console instead of Xen's hvc0/xvc0, no `xencons=`, KVM device
///   names; so every kernel installed later boots with them too.
/// - `GRUB_TERMINAL="console serial"` and `GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"`:
///   the grub menu on the screen and on the first serial port, where a KVM guest is usually
///   watched (`virsh console`). Existing settings are replaced, missing ones appended.
///
/// - `net.ifnames=0 biosdevname=0` in `GRUB_CMDLINE_LINUX` (added when missing) where the
///   network configs name ethN and udev would name a virtio NIC by its slot (ens3).
///
/// Every other line stays as it is.
public struct Grub2DefaultEdit: GuestEdit {
    public let name = "grub2-defaults"
    public init() {}

    static let path = "/etc/default/grub"
    static let settings = [
        ("GRUB_TERMINAL", "\"console serial\""),
        ("GRUB_SERIAL_COMMAND", "\"serial --unit=0 --speed=115200\""),
    ]

    public func changes(in root: GuestRoot, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        return try rewrite(Self.path, in: root) { text in
            Self.edit(text, mapping: mapping, keepEthNames: context.keepsEthNames)
        }
    }

    static func edit(_ text: String, mapping: DeviceMapping, keepEthNames: Bool = false) -> (
        text: String, summary: [String]
    ) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        var present = Set<String>()
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            let line = lines[index]
            let trimmed = TextLines.trimmedStart(line)
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals])
            let indent = String(line.prefix(line.count - trimmed.count))
            if key == "GRUB_CMDLINE_LINUX" || key == "GRUB_CMDLINE_LINUX_DEFAULT" {
                var value = trimmed[trimmed.index(after: equals)...]
                var quote = ""
                if let first = value.first, first == "\"" || first == "'", value.count >= 2, value.last == first {
                    quote = String(first)
                    value = value.dropFirst().dropLast()
                }
                // GRUB_CMDLINE_LINUX reaches every entry, recovery ones too: the names go there.
                if key == "GRUB_CMDLINE_LINUX" { present.insert(key) }
                let arguments = KernelArguments.edit(
                    String(value), mapping: mapping, keepEthNames: keepEthNames && key == "GRUB_CMDLINE_LINUX")
                if !arguments.changes.isEmpty {
                    lines[index] = indent + key + "=" + quote + arguments.text + quote
                    summary.append("\(key): " + arguments.changes.joined(separator: ", "))
                }
            } else if let wanted = settings.first(where: { $0.0 == key })?.1 {
                present.insert(key)
                let setting = key + "=" + wanted
                if trimmed != setting {
                    lines[index] = indent + setting
                    summary.append("\(trimmed) → \(setting)")
                }
            }
        }
        var added: [String] = []
        for (key, wanted) in settings where !present.contains(key) {
            added.append(key + "=" + wanted)
            summary.append("added \(key)=\(wanted)")
        }
        if keepEthNames && !present.contains("GRUB_CMDLINE_LINUX") {
            added.append("GRUB_CMDLINE_LINUX=\"net.ifnames=0 biosdevname=0\"")
            summary.append("added GRUB_CMDLINE_LINUX=\"net.ifnames=0 biosdevname=0\" (the network configs name eth0)")
        }
        return (TextLines.appending(added, to: TextLines.join(lines)), summary)
    }
}
