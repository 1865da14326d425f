import Inspection

/// /etc/default/grub, which grub-mkconfig (update-grub) turns into grub.cfg on grub2 guests
/// (CentOS 7, Debian, Ubuntu), and EL's /etc/sysconfig/grub: the file both names lead to once
/// when one is a symlink, each when they are separate files (`GrubDefaults`).
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
/// - `console=tty0 console=ttyS0,115200` in `GRUB_CMDLINE_LINUX` when neither it nor
///   `GRUB_CMDLINE_LINUX_DEFAULT` names a console to become ttyS0: the package default names
///   none, and grub-mkconfig would otherwise write kernel lines with no serial console.
///
/// - `GRUB_DEFAULT=saved` when grub-mkconfig would list another kernel before `BestKernel`'s (a
///   newer Xen-only one): grub.cfg then boots `saved_entry`, which the helper sets to it.
///
/// Every other line stays as it is.
public struct Grub2DefaultEdit: GuestEdit {
    public let name = "grub2-defaults"
    public init() {}

    static let settings = [
        ("GRUB_TERMINAL", "\"console serial\""),
        ("GRUB_SERIAL_COMMAND", "\"serial --unit=0 --speed=115200\""),
    ]

    /// grub-mkconfig reads these after /etc/default/grub, so what they set wins (Ubuntu's cloud
    /// images set `GRUB_TERMINAL=console` there): they get the same edits of the settings they
    /// name, and nothing appended.
    static let dropInDirectory = "/etc/default/grub.d"

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        let saved = Self.savedDefault(context.guest.kernels)
        var result = try rewriteEach(GrubDefaults.files, in: root) { text in
            Self.edit(text, mapping: mapping, keepEthNames: context.keepsEthNames, savedDefault: saved)
        }
        for name in root.list(Self.dropInDirectory) where name.hasSuffix(".cfg") {
            result += try rewrite("\(Self.dropInDirectory)/\(name)", in: root) { text in
                Self.edit(
                    text, mapping: mapping, keepEthNames: context.keepsEthNames, appendMissing: false,
                    savedDefault: saved)
            }
        }
        return result
    }

    /// Why GRUB_DEFAULT must be `saved`, or nil when grub-mkconfig's first entry is the right one.
    static func savedDefault(_ kernels: [KernelFacts]) -> String? {
        guard let first = BestKernel.listedBefore(kernels), let best = BestKernel.choose(kernels) else { return nil }
        return "grub-mkconfig lists \(first.version) first, the helper makes \(best.version) the saved default"
    }

    static func edit(
        _ text: String, mapping: DeviceMapping, keepEthNames: Bool = false, appendMissing: Bool = true,
        savedDefault: String? = nil
    ) -> (text: String, summary: [String]) {
        let settings = Self.settings + (savedDefault == nil ? [] : [("GRUB_DEFAULT", "saved")])
        var lines = TextLines.split(text)
        var summary: [String] = []
        var present = Set<String>()
        // GRUB_CMDLINE_LINUX gets the serial console unless the default entries' own line has it.
        let defaultHasConsole = lines.contains { line in
            let trimmed = TextLines.trimmedStart(line)
            let key = "GRUB_CMDLINE_LINUX_DEFAULT="
            let value = trimmed.dropFirst(key.count).filter { $0 != "\"" && $0 != "'" }
            return trimmed.hasPrefix(key) && KernelArguments.namesConsole(value)
        }
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
                    String(value), mapping: mapping, keepEthNames: keepEthNames && key == "GRUB_CMDLINE_LINUX",
                    ensureSerialConsole: key == "GRUB_CMDLINE_LINUX" && !defaultHasConsole)
                if !arguments.changes.isEmpty {
                    lines[index] = indent + key + "=" + quote + arguments.text + quote
                    summary.append("\(key): " + arguments.changes.joined(separator: ", "))
                }
            } else if let wanted = settings.first(where: { $0.0 == key })?.1 {
                present.insert(key)
                let setting = key + "=" + wanted
                // `GRUB_DEFAULT="saved"` is saved too.
                let same =
                    key == "GRUB_DEFAULT" ? trimmed.filter { $0 != "\"" && $0 != "'" } == setting : trimmed == setting
                if !same {
                    lines[index] = indent + setting
                    summary.append("\(trimmed) → \(setting)" + (key == "GRUB_DEFAULT" ? ": \(savedDefault ?? "")" : ""))
                }
            }
        }
        guard appendMissing else { return (TextLines.join(lines), summary) }
        var added: [String] = []
        for (key, wanted) in settings where !present.contains(key) {
            added.append(key + "=" + wanted)
            summary.append("added \(key)=\(wanted)" + (key == "GRUB_DEFAULT" ? ": \(savedDefault ?? "")" : ""))
        }
        if !present.contains("GRUB_CMDLINE_LINUX") {
            let arguments = KernelArguments.edit(
                "", mapping: mapping, keepEthNames: keepEthNames, ensureSerialConsole: !defaultHasConsole)
            if !arguments.changes.isEmpty {
                added.insert("GRUB_CMDLINE_LINUX=\"\(arguments.text)\"", at: 0)
                summary.append(
                    "added GRUB_CMDLINE_LINUX=\"\(arguments.text)\": " + arguments.changes.joined(separator: ", "))
            }
        }
        return (TextLines.appending(added, to: TextLines.join(lines)), summary)
    }
}
