/// Module aliases that name Xen's paravirtual drivers (/etc/modprobe.conf,
/// /etc/modprobe.conf.local, /etc/modprobe.d/*).
///
/// `alias scsi_hostadapter xenblk` → `virtio_blk` and `alias eth0 xennet` → `virtio_net` (also
/// the `xen-blkfront` / `xen-netfront` spellings). EL5 mkinitrd puts the scsi_hostadapter
/// modules into every initrd it builds and aborts when the module does not exist for the
/// kernel, so the aliases must be right before an initrd is rebuilt; they also make later
/// kernel updates include virtio_blk. Every file in /etc/modprobe.d is read, since EL5's
/// modprobe reads them all, not only `*.conf`.
///
/// A /etc/modprobe.conf with no `scsi_hostadapter` alias at all gets `alias scsi_hostadapter
/// virtio_blk`: a Xen guest booted with xenblk built into its initrd by hand, and EL5 mkinitrd
/// takes the disk driver for new initrds from that alias alone.
public struct ModprobeEdit: GuestEdit {
    public let name = "modprobe"
    public init() {}

    static let files = ["/etc/modprobe.conf", "/etc/modprobe.conf.local"]
    static let replacements: [String: String] = [
        "xenblk": "virtio_blk", "xen-blkfront": "virtio_blk", "xen_blkfront": "virtio_blk",
        "xennet": "virtio_net", "xen-netfront": "virtio_net", "xen_netfront": "virtio_net",
    ]

    public func changes(in root: GuestRoot, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let directory = root.list("/etc/modprobe.d").map { "/etc/modprobe.d/\($0)" }
        var result: [FileChange] = []
        for path in Self.files + directory {
            result += try rewrite(path, in: root, path == Self.files[0] ? Self.editConf : Self.edit)
        }
        return result
    }

    /// /etc/modprobe.conf: the aliases, and a disk driver alias when there is none.
    static func editConf(_ text: String) -> (text: String, summary: [String]) {
        var (edited, summary) = edit(text)
        let hasDiskAlias = TextLines.split(edited).contains { line in
            let words = Words(line).words
            return !TextLines.isCommentOrBlank(line) && words.count >= 3 && words[0] == "alias"
                && words[1].hasPrefix("scsi_hostadapter")
        }
        if !hasDiskAlias {
            edited = TextLines.appending(["alias scsi_hostadapter virtio_blk"], to: edited)
            summary.append("added alias scsi_hostadapter virtio_blk: mkinitrd puts the disk driver it names in initrds")
        }
        return (edited, summary)
    }

    static func edit(_ text: String) -> (text: String, summary: [String]) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            var words = Words(lines[index])
            guard words.tokens.count >= 3, words.tokens[0].word == "alias",
                let module = words.tokens.last?.word, let virtio = replacements[module]
            else { continue }
            words.tokens[words.tokens.count - 1].word = virtio
            lines[index] = words.text
            summary.append("alias \(words.tokens[1].word): \(module) → \(virtio)")
        }
        return (TextLines.join(lines), summary)
    }
}
