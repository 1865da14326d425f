import Inspection

/// The kernel command lines of EL8+ and Fedora 30+ that /etc/default/grub does not reach:
/// grub2's `blscfg` boots the Boot Loader Specification entries in /boot/loader/entries, whose
/// `options` line is the command line (EL8: `options $kernelopts`, with `kernelopts=` in
/// /boot/grub2/grubenv), and kernel-install writes new kernels' entries from /etc/kernel/cmdline.
///
/// Each gets the command-line edits of `KernelArguments` (root=/dev/vda1, the serial console
/// instead of hvc0/xvc0, or added when none is named, resume= renamed). An `options` line that
/// takes `$kernelopts` gets its console from grubenv, not a second one.
///
/// When the guest has grubby and its helper runs (profile el8), the entries and grubenv are left
/// to `grubby --update-kernel=ALL` with the words `grubbyArguments` finds (the distro's own tool
/// knows its entry format); /etc/kernel/cmdline is edited here either way. grubenv is a
/// 1024-byte block: the `#` padding after its last line absorbs the change.
public struct BootLoaderSpecEdit: GuestEdit {
    public let name = "bls"
    public init() {}

    static let grubbyPaths = ["/usr/sbin/grubby", "/usr/bin/grubby", "/sbin/grubby"]

    /// Whether the el8 helper changes the entries with the guest's grubby instead of this edit.
    static func grubbyUpdates(_ root: GuestView, context: FixContext) -> Bool {
        context.profile == "el8" && context.runsGuestPrograms && grubbyPaths.contains { root.isFile($0) }
    }

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        let keep = context.keepsEthNames
        var result: [FileChange] = []
        if !Self.grubbyUpdates(root, context: context) {
            for path in BootLoaderSpec.entryFiles(root.source) {
                result += try rewrite(path, in: root) { Self.editEntry($0, mapping: mapping, keepEthNames: keep) }
            }
            result += try rewrite(BootLoaderSpec.grubenv, in: root) {
                Self.editGrubenv($0, mapping: mapping, keepEthNames: keep)
            }
        }
        result += try rewrite(BootLoaderSpec.kernelCmdline, in: root) { text in
            Self.editLines(text, mapping: mapping, keepEthNames: keep) { line in
                TextLines.isCommentOrBlank(line) ? nil : ("", line)
            }
        }
        return result
    }

    /// The words grubby must add (`--args`) and remove (`--remove-args`) so that every entry
    /// and kernelopts get what `editEntry` and `editGrubenv` would write.
    static func grubbyArguments(_ root: GuestView, context: FixContext) throws(GuestFixError) -> (
        add: [String], remove: [String]
    ) {
        let mapping = DeviceMapping(context)
        var add: [String] = []
        var remove: [String] = []
        for path in BootLoaderSpec.entryFiles(root.source) + [BootLoaderSpec.grubenv] {
            for line in TextLines.split(try root.read(path) ?? "") {
                guard let (_, arguments) = entryOptions(line) ?? grubenvOptions(line) else { continue }
                let old = Words(arguments).words
                let new = Words(edit(arguments, mapping: mapping, keepEthNames: context.keepsEthNames).text).words
                for word in new where !old.contains(word) && !add.contains(word) { add.append(word) }
                for word in old where !new.contains(word) && !remove.contains(word) { remove.append(word) }
            }
        }
        return (add, remove)
    }

    /// An entry's `options` line as (everything before the arguments, the arguments).
    static func entryOptions(_ line: String) -> (head: String, arguments: String)? {
        let words = Words(line)
        guard words.tokens.first?.word == "options" else { return nil }
        guard words.tokens.count > 1 else { return (words.text(before: 1) + " ", "") }
        return (words.text(before: 1), words.text(from: 1))
    }

    static func grubenvOptions(_ line: String) -> (head: String, arguments: String)? {
        line.hasPrefix("kernelopts=") ? ("kernelopts=", String(line.dropFirst("kernelopts=".count))) : nil
    }

    static func edit(_ arguments: String, mapping: DeviceMapping, keepEthNames: Bool) -> (
        text: String, changes: [String]
    ) {
        KernelArguments.edit(
            arguments, mapping: mapping, keepEthNames: keepEthNames,
            ensureSerialConsole: !arguments.contains("$kernelopts"))
    }

    static func editEntry(_ text: String, mapping: DeviceMapping, keepEthNames: Bool = false) -> (
        text: String, summary: [String]
    ) {
        editLines(text, mapping: mapping, keepEthNames: keepEthNames, options: entryOptions)
    }

    static func editGrubenv(_ text: String, mapping: DeviceMapping, keepEthNames: Bool = false) -> (
        text: String, summary: [String]
    ) {
        let (edited, summary) = editLines(text, mapping: mapping, keepEthNames: keepEthNames, options: grubenvOptions)
        guard !summary.isEmpty else { return (text, []) }
        // The block keeps its size: the padding is the `#` run after the last newline.
        var body = TextLines.split(edited)
        if body.last?.allSatisfy({ $0 == "#" }) == true { body.removeLast() }
        let content = TextLines.join(body) + "\n"
        let padding = text.utf8.count - content.utf8.count
        // Too long for the block: left as it was (grub2-mkconfig rewrites kernelopts on EL8).
        guard padding >= 0 else { return (text, []) }
        return (content + String(repeating: "#", count: padding), summary)
    }

    /// Each line `options` cuts in two gets its arguments edited; one summary line per change.
    static func editLines(
        _ text: String, mapping: DeviceMapping, keepEthNames: Bool,
        options: (String) -> (head: String, arguments: String)?
    ) -> (text: String, summary: [String]) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices {
            guard let (head, arguments) = options(lines[index]) else { continue }
            let edited = edit(arguments, mapping: mapping, keepEthNames: keepEthNames)
            guard !edited.changes.isEmpty else { continue }
            lines[index] = head + edited.text
            summary.append("line \(index + 1): " + edited.changes.joined(separator: ", "))
        }
        return (TextLines.join(lines), summary)
    }
}
