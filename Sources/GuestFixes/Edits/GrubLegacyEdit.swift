import Inspection

/// grub legacy's menu (/boot/grub/menu.lst, /boot/grub/grub.conf, /etc/grub.conf) and
/// /boot/grub/device.map, for CentOS 5/6 and old Debian guests that pygrub booted.
///
/// - `root (hd0)` → `root (hd0,0)` (any `(hd0)` outside comments, and Debian's `# groot=(hd0)`):
///   pygrub read a bare filesystem, which grub calls (hd0); on KVM it is partition 1, (hd0,0).
/// - `kernel` lines, and the `# kopt=` / `# defoptions=` comments Debian's update-grub writes
///   back into every entry: the command-line edits of `KernelArguments` (root=/dev/vda1, serial
///   console instead of hvc0/xvc0, no xencons=).
/// - `default`: when it picks an entry whose kernel is Xen-only (EL5 kernel-xen, which cannot
///   boot on KVM), the first entry with a kernel that is not becomes the default.
/// - anaconda's `#boot=/dev/xvda` comment (the disk grub is installed on) names the KVM disk.
/// - device.map: `(hd0)` is the KVM disk /dev/vda (other Xen disks mapped), so that grub
///   installed in the guest finds it.
///
/// The three names are often one file (`menu.lst -> ./grub.conf`, `/etc/grub.conf ->
/// ../boot/grub/grub.conf`): the regular file is edited, once.
public struct GrubLegacyEdit: GuestEdit {
    public let name = "grub-legacy"
    public init() {}

    static let configs = ["/boot/grub/menu.lst", "/boot/grub/grub.conf", "/etc/grub.conf"]
    static let deviceMap = "/boot/grub/device.map"

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        var result = try rewriteEach(Self.configs, in: root) { text in
            Self.edit(text, kernels: context.guest.kernels, mapping: mapping, keepEthNames: context.keepsEthNames)
        }
        result += try rewrite(Self.deviceMap, in: root) { text in Self.editDeviceMap(text, mapping: mapping) }
        return result
    }

    static func edit(
        _ text: String, kernels: [KernelFacts], mapping: DeviceMapping, keepEthNames: Bool = false
    ) -> (
        text: String, summary: [String]
    ) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices {
            let line = lines[index]
            let edited: (text: String, changes: [String])
            if TextLines.trimmedStart(line).hasPrefix("#") {
                edited = editComment(line, mapping: mapping, keepEthNames: keepEthNames)
            } else {
                edited = editCommand(line, mapping: mapping, keepEthNames: keepEthNames)
            }
            if edited.text != line {
                lines[index] = edited.text
                summary.append("line \(index + 1): " + edited.changes.joined(separator: ", "))
            }
        }
        if let change = chooseDefault(&lines, kernels: kernels) { summary.append(change) }
        return (TextLines.join(lines), summary)
    }

    /// The keyword of a menu line: `kernel`, `root`, `default` (also in the `default=0` form).
    static func keyword(_ words: Words) -> String? {
        guard let first = words.tokens.first?.word else { return nil }
        return first.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0].lowercased()
    }

    static func editCommand(_ line: String, mapping: DeviceMapping, keepEthNames: Bool = false) -> (
        text: String, changes: [String]
    ) {
        let words = Words(line)
        var text = line
        var changes: [String] = []
        switch keyword(words) {
        case "title":
            return (line, [])
        case "kernel":
            // kernel [--type=…] IMAGE ARGUMENTS…
            guard
                let image = words.tokens.indices.dropFirst().first(where: { !words.tokens[$0].word.hasPrefix("--") })
            else { break }
            let arguments = KernelArguments.edit(
                words.text(from: image + 1), mapping: mapping, keepEthNames: keepEthNames,
                ensureSerialConsole: KernelArguments.bootsLinux(image: words.tokens[image].word))
            text = words.text(before: image + 1) + arguments.text
            changes += arguments.changes
        default:
            break
        }
        if text.contains("(hd0)") {
            text = text.replacing("(hd0)", with: "(hd0,0)")
            changes.append("(hd0) → (hd0,0)")
        }
        return (text, changes)
    }

    /// Comments that are settings: Debian's update-grub options and anaconda's `#boot=`.
    static func editComment(_ line: String, mapping: DeviceMapping, keepEthNames: Bool = false) -> (
        text: String, changes: [String]
    ) {
        let trimmed = TextLines.trimmedStart(line)
        let indent = line.prefix(line.count - trimmed.count)
        if trimmed.hasPrefix("# kopt=") || trimmed.hasPrefix("# kopt_") || trimmed.hasPrefix("# defoptions="),
            let equals = trimmed.firstIndex(of: "=")
        {
            // `# kopt=` reaches every kernel update-grub writes; the others add to some entries.
            let everyKernel = trimmed.hasPrefix("# kopt=")
            let arguments = KernelArguments.edit(
                String(trimmed[trimmed.index(after: equals)...]), mapping: mapping,
                keepEthNames: keepEthNames && everyKernel, ensureSerialConsole: everyKernel)
            return (String(indent) + String(trimmed[...equals]) + arguments.text, arguments.changes)
        }
        if trimmed.hasPrefix("# groot=") && trimmed.contains("(hd0)") {
            return (line.replacing("(hd0)", with: "(hd0,0)"), ["(hd0) → (hd0,0)"])
        }
        if trimmed.hasPrefix("#boot=") {
            let (text, renamed, _) = mapping.replacingPaths(in: line)
            return (text, renamed)
        }
        return (line, [])
    }

    /// Moves `default` off an entry whose kernel is Xen-only, to the entry of the best kernel
    /// (or the first whose kernel is known and not Xen-only). Entries count from 0 by `title`.
    static func chooseDefault(_ lines: inout [String], kernels: [KernelFacts]) -> String? {
        var entryKernels: [String?] = []
        var firstTitle: Int?
        var defaultLine: Int?
        for (index, line) in lines.enumerated() where !TextLines.isCommentOrBlank(line) {
            let words = Words(line)
            switch keyword(words) {
            case "title":
                entryKernels.append(nil)
                if firstTitle == nil { firstTitle = index }
            case "kernel":
                if entryKernels.last == .some(nil) {
                    let image = words.tokens.dropFirst().first { !$0.word.hasPrefix("--") }
                    entryKernels[entryKernels.count - 1] = image?.word
                }
            case "default":
                if defaultLine == nil, firstTitle == nil { defaultLine = index }
            default:
                break
            }
        }
        func facts(_ entry: Int) -> KernelFacts? {
            // `default -1` (a damaged or hostile menu.lst) names no entry.
            guard entryKernels.indices.contains(entry), let image = entryKernels[entry] else { return nil }
            return kernels.filter { image.hasSuffix($0.version) }.max { $0.version.count < $1.version.count }
        }

        var current = 0
        var valueRange: Range<String.Index>?
        if let defaultLine {
            let line = lines[defaultLine]
            let afterKeyword = line.firstRange(of: "default").map { $0.upperBound } ?? line.startIndex
            let start = line[afterKeyword...].firstIndex { !" \t=".contains($0) } ?? line.endIndex
            let end = line[start...].firstIndex { $0 == " " || $0 == "\t" } ?? line.endIndex
            guard let value = Int(line[start..<end]) else { return nil }  // `default saved`
            current = value
            valueRange = start..<end
        }
        // The entry of the kernel the guest is to boot (BestKernel, as DEFAULTKERNEL is chosen),
        // else the first that is not Xen-only.
        let best = BestKernel.choose(kernels)?.version
        guard let kernel = facts(current), kernel.xenOnly,
            let replacement = entryKernels.indices.first(where: { best != nil && facts($0)?.version == best })
                ?? entryKernels.indices.first(where: { facts($0)?.xenOnly == false }),
            let firstTitle
        else { return nil }
        let newKernel = facts(replacement)!.version
        if let defaultLine, let valueRange {
            lines[defaultLine].replaceSubrange(valueRange, with: String(replacement))
        } else {
            lines.insert("default=\(replacement)", at: firstTitle)
        }
        return "default \(current) → \(replacement): entry \(current) boots the Xen-only kernel "
            + "\(kernel.version), which cannot boot under KVM; entry \(replacement) boots \(newKernel)"
    }

    /// device.map: `(hd0)` is the KVM disk /dev/vda; other Xen disks by the device mapping.
    static func editDeviceMap(_ text: String, mapping: DeviceMapping) -> (text: String, summary: [String]) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            var words = Words(lines[index])
            guard words.tokens.count >= 2, let xen = XenDeviceName(path: words.tokens[1].word) else { continue }
            let target = words.tokens[0].word == "(hd0)" ? "/dev/vda" : mapping.kvmPath(for: xen)
            guard let target else { continue }
            summary.append("\(words.tokens[0].word) /dev/\(xen.name) → \(target)")
            words.tokens[1].word = target
            lines[index] = words.text
        }
        return (TextLines.join(lines), summary)
    }
}
