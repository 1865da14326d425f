import Inspection

/// /etc/fstab: Xen device names become the KVM ones.
///
/// Under KVM the disks are virtio (`vd*`), and the bare filesystem Xen handed the guest as its
/// root (`/dev/xvda1`, or `xvda`) is now partition 1 of the first disk, so the entry mounted on
/// "/" gets `/dev/vda1`. Other Xen disks go through `FixContext.deviceMap`, keeping the
/// partition number (`xvdb1` → `vdb1`, `xvdb` → `vdb`). Another partition of the root disk
/// (`xvda2`, typically swap) was a separate Xen volume that this disk does not carry: unless
/// the device map names it, its line is commented out (`# xen2kvm: …`) so that boot does not wait
/// for a device that will never appear. `UUID=` and `LABEL=` entries keep working as they are
/// (block copies keep both); comments and whitespace stay as they were.
public struct FstabEdit: GuestEdit {
    public let name = "fstab"
    public init() {}

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        return try rewrite("/etc/fstab", in: root) { text in Self.edit(text, mapping: mapping) }
    }

    static func edit(_ text: String, mapping: DeviceMapping) -> (text: String, summary: [String]) {
        var summary: [String] = []
        var lines = TextLines.split(text)
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            var words = Words(lines[index])
            guard let xen = XenDeviceName(path: words.tokens[0].word) else { continue }
            let fields = words.words.dropFirst().prefix(2).joined(separator: " ")
            if let target = mapping.kvmPath(for: xen) {
                words.tokens[0].word = target
                lines[index] = words.text
                let note = xen == mapping.root ? ": the root filesystem, now partition 1 of vda" : ""
                summary.append("/dev/\(xen.name) → \(target) (\(fields)\(note))")
            } else {
                lines[index] = TextLines.commentedOut(lines[index])
                summary.append("commented out /dev/\(xen.name) (\(fields)): \(mapping.whyMissing(xen))")
            }
        }
        return (TextLines.join(lines), summary)
    }
}
