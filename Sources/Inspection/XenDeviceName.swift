/// A block device name a Xen PV guest uses, split into disk and partition: "xvda1" is disk
/// "xvda", partition "1"; "xvdb" is a whole disk (partition ""). Older Xen configs gave PV
/// guests SCSI or IDE names (`sda1`, `hda1`) for the same virtual disks; under KVM every one
/// of them is a virtio disk, `vd` and the same letters: xvda1, sda1 and hda1 all become vda1.
///
/// The one model of these names: inspection finds them, the edits rename them.
public struct XenDeviceName: Equatable, Hashable, Sendable {
    /// "xvd", "sd" or "hd".
    public var prefix: String
    /// The letters after the prefix: "a", "b", "aa".
    public var letters: String
    /// The partition number as written, "" for a whole disk.
    public var partition: String

    static let prefixes = ["xvd", "sd", "hd"]

    /// "xvda", "sdb": the whole disk.
    public var disk: String { prefix + letters }
    public var name: String { disk + partition }
    /// The virtio disk it becomes: "vda".
    public var kvmDisk: String { "vd" + letters }

    /// "xvda1", "xvdb", "xvdaa3", "sda1", "hdb"; nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard let prefix = Self.prefixes.first(where: { text.hasPrefix($0) }) else { return nil }
        let rest = text.dropFirst(prefix.count)
        let letters = rest.prefix { $0 >= "a" && $0 <= "z" }
        let digits = rest.dropFirst(letters.count)
        guard !letters.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        self.prefix = prefix
        self.letters = String(letters)
        partition = String(digits)
    }

    /// "/dev/xvda1"; nil for anything else.
    public init?(path: some StringProtocol) {
        guard path.hasPrefix("/dev/") else { return nil }
        self.init(path.dropFirst("/dev/".count))
    }

    /// The names that appear in `text` as words of their own (not inside another word), in
    /// order, unique.
    public static func occurrences(in text: String) -> [XenDeviceName] {
        let chars = Array(text)
        var found: [XenDeviceName] = []
        var index = 0
        while index < chars.count {
            let standsAlone = index == 0 || !(chars[index - 1].isLetter || chars[index - 1].isNumber)
            var end = index
            while end < chars.count, chars[end].isLetter, chars[end].isLowercase { end += 1 }
            while end < chars.count, chars[end].isNumber { end += 1 }
            if standsAlone, end > index, let name = XenDeviceName(String(chars[index..<end])), !found.contains(name) {
                found.append(name)
            }
            index = max(end, index + 1)
        }
        return found
    }
}
