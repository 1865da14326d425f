import Inspection

/// Where the guest resumes from hibernation: `RESUME=` in
/// /etc/initramfs-tools/conf.d/resume (Debian, Ubuntu) and `resume device` in
/// /etc/uswsusp.conf.
///
/// The swap device was a Xen device; it is renamed by the fstab rules (`xvdb1` → `vdb1`). When it
/// was a separate Xen volume of the root disk (`xvda2`) with nothing mapped in its place, the line
/// is commented out (`# xen2kvm: …`), and for initramfs-tools `RESUME=none` follows: the initrd
/// would otherwise wait for the missing device, and with no setting at all update-initramfs
/// guesses a swap device from /proc/swaps, which in a chroot on the host is the host's.
public struct ResumeEdit: GuestEdit {
    public let name = "resume"
    public init() {}

    static let initramfsResume = "/etc/initramfs-tools/conf.d/resume"
    static let uswsusp = "/etc/uswsusp.conf"

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        var result: [FileChange] = []
        for path in [Self.initramfsResume, Self.uswsusp] {
            result += try rewrite(path, in: root) { text in
                Self.edit(text, mapping: mapping, noneSetting: path == Self.initramfsResume ? "RESUME=none" : nil)
            }
        }
        return result
    }

    static func edit(_ text: String, mapping: DeviceMapping, noneSetting: String?) -> (text: String, summary: [String])
    {
        var summary: [String] = []
        var lines: [String] = []
        for line in TextLines.split(text) {
            guard !TextLines.isCommentOrBlank(line) else {
                lines.append(line)
                continue
            }
            let (edited, renamed, missing) = mapping.replacingPaths(in: line)
            if let xen = missing.first {
                lines.append(TextLines.commentedOut(line))
                var note = "commented out \(line.trimmingBlanks())"
                if let noneSetting, TextLines.trimmedStart(line).hasPrefix("RESUME=") {
                    lines.append(noneSetting)
                    note += ", wrote \(noneSetting)"
                }
                summary.append(note + ": " + mapping.whyMissing(xen))
            } else {
                lines.append(edited)
                summary += renamed
            }
        }
        return (TextLines.join(lines), summary)
    }
}
