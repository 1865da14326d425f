import Inspection

/// The generated grub2 menu, /boot/grub2/grub.cfg (CentOS 7) and /boot/grub/grub.cfg (Debian,
/// Ubuntu), edited directly so that a disk fixed without regenerating it (`--edits-only`, or
/// before grub-mkconfig runs) boots under KVM too.
///
/// - `linux`, `linux16`, `linuxefi` lines get the command-line edits of `KernelArguments`
///   (root=/dev/vda1, the serial console instead of hvc0/xvc0, no xencons=).
/// - `hd0`, which for pygrub named the partitionless Xen disk (`set root='hd0'`,
///   `--hint='hd0'`, `(hd0)/boot/…`), becomes `hd0,msdos1` (`hd0,gpt1` on a GPT disk): the
///   filesystem is now partition 1.
///
/// Comments stay as they are; a grub.cfg reachable under two names is edited once.
public struct Grub2ConfigEdit: GuestEdit {
    public let name = "grub2-config"
    public init() {}

    static let configs = ["/boot/grub2/grub.cfg", "/boot/grub/grub.cfg"]
    static let linuxCommands: Set<String> = ["linux", "linux16", "linuxefi"]
    /// grub2's name for partition 1 under the disk's partition table.
    static func partitionName(_ table: String) -> String { table == "gpt" ? "gpt1" : "msdos1" }

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        return try rewriteEach(Self.configs, in: root) { text in
            Self.edit(
                text, mapping: mapping, partition: Self.partitionName(context.partitionTable),
                keepEthNames: context.keepsEthNames)
        }
    }

    static func edit(
        _ text: String, mapping: DeviceMapping, partition: String = "msdos1", keepEthNames: Bool = false
    ) -> (
        text: String, summary: [String]
    ) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            var line = lines[index]
            var changes: [String] = []
            let words = Words(line)
            if let command = words.tokens.first?.word, linuxCommands.contains(command), words.tokens.count >= 2 {
                let arguments = KernelArguments.edit(
                    words.text(from: 2), mapping: mapping, keepEthNames: keepEthNames,
                    ensureSerialConsole: KernelArguments.bootsLinux(image: words.tokens[1].word))
                line = words.text(before: 2) + arguments.text
                changes += arguments.changes
            }
            let (withPartition, count) = namingPartition(line, partition: partition)
            if count > 0 {
                line = withPartition
                changes.append("hd0 → hd0,\(partition)" + (count > 1 ? " (\(count)×)" : ""))
            }
            if line != lines[index] {
                lines[index] = line
                summary.append("line \(index + 1): " + changes.joined(separator: ", "))
            }
        }
        return (TextLines.join(lines), summary)
    }

    /// Every `hd0` standing for the whole disk (between quotes, parentheses, after `=` or a
    /// blank, and not already followed by a partition) gets `,<partition>`.
    static func namingPartition(_ line: String, partition: String = "msdos1") -> (text: String, count: Int) {
        var result = ""
        var count = 0
        var rest = Substring(line)
        while let range = rest.firstRange(of: "hd0") {
            let before = rest[..<range.lowerBound]
            let next = rest[range.upperBound...].first
            let startsWord = before.last.map { "'\"(= \t".contains($0) } ?? true
            let endsWord = next.map { "'\")] \t".contains($0) } ?? true
            result += rest[..<range.upperBound]
            if startsWord && endsWord {
                result += "," + partition
                count += 1
            }
            rest = rest[range.upperBound...]
        }
        return (result + rest, count)
    }
}
