import Inspection

/// Module aliases that load Xen's paravirtual drivers (`XenModuleAlias`: /etc/modprobe.conf,
/// modprobe.conf.local, modules.conf, every file in /etc/modprobe.d), as virt-v2v changes them.
///
/// `alias eth0 xennet` → `virtio_net`, `alias scsi_hostadapter xenblk` → `virtio_blk` (also the
/// `xen-blkfront`, `xen-netfront`, kmod-xenpv spellings). EL5 mkinitrd puts the scsi_hostadapter
/// modules into every initrd it builds and aborts when the module does not exist for the
/// kernel, so the aliases must be right before an initrd is rebuilt; they also make later
/// kernel updates include virtio_blk. A KVM guest has one disk controller: a second Xen disk
/// alias (`scsi_hostadapter1 xenblk`) is commented out rather than naming virtio_blk twice, and
/// so is a Xen alias for a device KVM has not (`block-major-202`).
///
/// A /etc/modprobe.conf with no `scsi_hostadapter` alias at all gets `alias scsi_hostadapter
/// virtio_blk`: a Xen guest booted with xenblk built into its initrd by hand, and EL5 mkinitrd
/// takes the disk driver for new initrds from that alias alone.
public struct ModprobeEdit: GuestEdit {
    public let name = "modprobe"
    public init() {}

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let directory = root.list(XenModuleAlias.directory).sorted().map { "\(XenModuleAlias.directory)/\($0)" }
        var result: [FileChange] = []
        for path in XenModuleAlias.files + directory {
            result += try rewrite(path, in: root, path == XenModuleAlias.files[0] ? Self.editConf : Self.edit)
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
        // A disk alias the guest already points at virtio_blk counts as the one controller.
        var diskAlias = lines.contains { line in
            let words = Words(line).words
            return !TextLines.isCommentOrBlank(line) && words.count >= 3 && words[0] == "alias"
                && words[1].hasPrefix("scsi_hostadapter") && words.last == "virtio_blk"
        }
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            guard let (device, module) = XenModuleAlias.parse(lines[index]) else { continue }
            let virtio = XenModuleAlias.replacement(device: device, module: module)
            guard let virtio, !(virtio == "virtio_blk" && diskAlias) else {
                summary.append(
                    "alias \(device) \(module) commented out: "
                        + (virtio == nil ? "KVM has no such device" : "one disk controller under KVM"))
                lines[index] = TextLines.commentedOut(lines[index])
                continue
            }
            diskAlias = diskAlias || virtio == "virtio_blk"
            var words = Words(lines[index])
            words.tokens[words.tokens.count - 1].word = virtio
            lines[index] = words.text
            summary.append("alias \(device): \(module) → \(virtio)")
        }
        return (TextLines.join(lines), summary)
    }
}
