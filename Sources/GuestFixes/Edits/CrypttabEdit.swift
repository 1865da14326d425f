import Inspection

/// /etc/crypttab: the encrypted devices' Xen names become the KVM ones.
///
/// The source device (and a key file given as a device) of each mapping is renamed by the same
/// rules as fstab (`xvdc1` → `vdc1` through `FixContext.deviceMap`); a line whose device was a
/// separate Xen volume of the root disk, with nothing mapped in its place, is commented out
/// (`# xen2kvm: …`), since cryptsetup would wait for it at every boot. `UUID=` entries stay.
public struct CrypttabEdit: GuestEdit {
    public let name = "crypttab"
    public init() {}

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        return try rewrite("/etc/crypttab", in: root) { text in Self.edit(text, mapping: mapping) }
    }

    static func edit(_ text: String, mapping: DeviceMapping) -> (text: String, summary: [String]) {
        var summary: [String] = []
        var lines = TextLines.split(text)
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            var words = Words(lines[index])
            let target = words.tokens[0].word
            var renamed: [String] = []
            var missing: XenDeviceName?
            // Fields 2 (device) and 3 (key file); the name and options never hold a device.
            for field in 1..<min(words.tokens.count, 3) {
                guard let xen = XenDeviceName(path: words.tokens[field].word) else { continue }
                if let kvm = mapping.kvmPath(for: xen) {
                    renamed.append("/dev/\(xen.name) → \(kvm) (\(target))")
                    words.tokens[field].word = kvm
                } else {
                    missing = xen
                }
            }
            if let missing {
                lines[index] = TextLines.commentedOut(lines[index])
                summary.append("commented out \(target): \(mapping.whyMissing(missing))")
            } else if !renamed.isEmpty {
                lines[index] = words.text
                summary += renamed
            }
        }
        return (TextLines.join(lines), summary)
    }
}
