/// Keeps the virtio drivers in the initrds the guest builds later (kernel updates), not only in
/// the ones the conversion rebuilds: without virtio_blk in its initrd, a KVM guest cannot find
/// its root disk.
///
/// - dracut (EL6, EL7: profile centos6/centos7, or any guest with /etc/dracut.conf.d):
///   /etc/dracut.conf.d/xen2kvm-virtio.conf with
///   `add_drivers+=" virtio virtio_ring virtio_blk virtio_net virtio_pci "`. A host-only dracut
///   build run on Xen would otherwise leave them out again. The guest's own driver settings
///   (`add_drivers`, `force_drivers` in /etc/dracut.conf and its drop-ins) lose Xen's front-end
///   drivers, as `ModuleList` drops them from SUSE's and Arch's lists: under KVM there is nothing
///   for them to drive, yet every later initramfs would carry them. A setting that named only
///   Xen drivers is commented out.
/// - initramfs-tools (Debian, Ubuntu): `virtio_pci`, `virtio_blk`, `virtio_net` appended to
///   /etc/initramfs-tools/modules where missing.
/// - mkinitcpio (Arch): `MODULES=` in /etc/mkinitcpio.conf without Xen's drivers and with
///   virtio's (`ModuleList`); SUSE's `INITRD_MODULES` is in /etc/sysconfig/kernel, whose edit
///   does the same there.
/// - EL5 (profile centos5): nothing. Its mkinitrd reads no drop-in configuration; the conversion
///   passes `--with=virtio_pci --with=virtio_blk` when it rebuilds, and the
///   `alias scsi_hostadapter virtio_blk` the modprobe edit writes makes later mkinitrd runs
///   include virtio_blk.
public struct InitrdModulesEdit: GuestEdit {
    public let name = "initrd-modules"
    public init() {}

    static let dracutDirectory = "/etc/dracut.conf.d"
    static let dracutFile = "/etc/dracut.conf.d/xen2kvm-virtio.conf"
    static let dracutConf = "/etc/dracut.conf"
    static let dracutSetting = "add_drivers+=\" virtio virtio_ring virtio_blk virtio_net virtio_pci \""
    static let dracutText =
        "# xen2kvm: the virtio drivers in every initramfs, so that the guest finds its disk under KVM\n"
        + dracutSetting + "\n"
    static let initramfsModules = "/etc/initramfs-tools/modules"
    /// The virtio drivers module lists name (initramfs-tools, INITRD_MODULES, mkinitcpio).
    static let virtioModules = ["virtio_pci", "virtio_blk", "virtio_net"]
    static let mkinitcpioConf = "/etc/mkinitcpio.conf"

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        var result: [FileChange] = []
        if context.profile != "centos5" {
            result += try dracut(root, context: context)
        }
        if context.profile == "debian" || ["debian", "ubuntu"].contains(context.guest.distro) {
            result += try initramfsTools(root)
        }
        result += try rewrite(Self.mkinitcpioConf, in: root) { ModuleList.editAssignments("MODULES", in: $0) }
        return result
    }

    func dracut(_ root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let hasDirectory = root.kind(of: Self.dracutDirectory) == .directory
        var result: [FileChange] = []
        if hasDirectory {
            let before = try root.read(Self.dracutFile)
            if before != Self.dracutText {
                result.append(
                    FileChange(
                        path: Self.dracutFile, before: before, after: Self.dracutText, edit: name,
                        summary: ["\(Self.dracutSetting): later initramfs builds keep virtio"]))
            }
        }
        // An EL6/EL7 guest without the drop-in directory: the setting goes into dracut.conf.
        let addsToConf = !hasDirectory && ["centos6", "centos7"].contains(context.profile)
        result += try rewrite(Self.dracutConf, in: root) { text in
            var (edited, summary) = Self.dropXenDrivers(text)
            if addsToConf && !TextLines.split(edited).contains(Self.dracutSetting) {
                edited = TextLines.appending([Self.dracutSetting], to: edited)
                summary.append("added \(Self.dracutSetting): later initramfs builds keep virtio")
            }
            return (edited, summary)
        }
        for name in root.list(Self.dracutDirectory) where name.hasSuffix(".conf") {
            let path = "\(Self.dracutDirectory)/\(name)"
            if path != Self.dracutFile { result += try rewrite(path, in: root, Self.dropXenDrivers) }
        }
        return result
    }

    /// The dracut settings whose drivers go into every initramfs.
    static let dracutDriverSettings = ["add_drivers", "force_drivers"]

    /// Xen's drivers out of `add_drivers+=" xen-blkfront xen-netfront "` and its kind.
    static func dropXenDrivers(_ text: String) -> (text: String, summary: [String]) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices where !TextLines.isCommentOrBlank(lines[index]) {
            let line = lines[index]
            let trimmed = TextLines.trimmedStart(line)
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals]
            guard Self.dracutDriverSettings.contains(String(key.hasSuffix("+") ? key.dropLast() : key)) else {
                continue
            }
            var value = trimmed[trimmed.index(after: equals)...]
            var quote = ""
            if let first = value.first, first == "\"" || first == "'", value.count >= 2, value.last == first {
                quote = String(first)
                value = value.dropFirst().dropLast()
            }
            var words = Words(value)
            let xen = words.words.filter(ModuleList.isXen)
            guard !xen.isEmpty else { continue }
            let reason = "\(xen.joined(separator: " ")) (Xen only): no later initramfs carries them"
            guard xen.count < words.tokens.count else {
                lines[index] = TextLines.commentedOut(line)
                summary.append("line \(index + 1): commented out \(trimmed[..<equals]): \(reason)")
                continue
            }
            let firstGap = words.tokens[0].gap
            words.tokens.removeAll { ModuleList.isXen($0.word) }
            words.tokens[0].gap = firstGap
            lines[index] =
                String(line.prefix(line.count - trimmed.count)) + trimmed[...equals] + quote + words.text + quote
            summary.append("line \(index + 1): dropped \(reason)")
        }
        return (TextLines.join(lines), summary)
    }

    func initramfsTools(_ root: GuestView) throws(GuestFixError) -> [FileChange] {
        let before = try root.read(Self.initramfsModules)
        guard before != nil || root.kind(of: "/etc/initramfs-tools") == .directory else { return [] }
        let listed = Set(
            TextLines.split(before ?? "").filter { !TextLines.isCommentOrBlank($0) }.compactMap {
                Words($0).tokens.first?.word
            })
        let missing = Self.virtioModules.filter { !listed.contains($0) }
        guard !missing.isEmpty else { return [] }
        return [
            FileChange(
                path: Self.initramfsModules, before: before, after: TextLines.appending(missing, to: before ?? ""),
                edit: name, summary: ["added \(missing.joined(separator: ", ")): later initrds keep virtio"])
        ]
    }
}
