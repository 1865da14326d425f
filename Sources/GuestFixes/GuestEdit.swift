import Inspection

/// What every edit may know: the inspection facts and the operator's choices.
public struct FixContext: Sendable {
    /// Guest facts from inspection (distro, version, kernels, bootloader, fstab …).
    public var guest: GuestReport
    /// Xen device name → KVM device name, for disks other than the root disk, e.g.
    /// "xvdb" → "vdb" (the default for xvdb). Partition numbers are kept: xvdb1 → vdb1.
    public var deviceMap: [String: String]
    /// The profile the edits serve: one of `Profile.all` but auto, or a helper script's path.
    public var profile: String
    /// The converted disk's partition table, "mbr" or "gpt" (grub2 names partitions by it).
    public var partitionTable: String
    /// The profile's guest helper runs after the edits (not with --edits-only or profile none):
    /// what a guest program of its does (grubby on BLS entries) is then not done as a file edit.
    public var runsGuestPrograms = true

    /// The guest's network configs name ethN and its udev would name a virtio NIC ens3: the
    /// kernel command lines get `net.ifnames=0 biosdevname=0` (see KernelArguments).
    public var keepsEthNames: Bool { !guest.config.ethConfigsUnderSlotNames.isEmpty }

    public init(
        guest: GuestReport, deviceMap: [String: String] = defaultDeviceMap, profile: String,
        partitionTable: String = "mbr"
    ) {
        self.guest = guest
        self.deviceMap = deviceMap
        self.profile = profile
        self.partitionTable = partitionTable
    }
}

extension FixContext {
    /// The device names mapped when nothing else is said (`DeviceMapping.defaultMap`).
    public static let defaultDeviceMap = DeviceMapping.defaultMap

    /// The one rule `fix` (and `convert` after its copy) and `inspect --edits` build the edits'
    /// context by: the profile detected from inspection unless one is asked, the default device
    /// map with the asked names over it, and the profile's guest helper running after the edits
    /// unless --edits-only or profile none. A dry run plans what the real run does.
    public static func forFix(
        guest: GuestReport, profile askedProfile: String, deviceMap askedMap: [String: String],
        partitionTable: String, editsOnly: Bool
    ) -> FixContext {
        let profile = askedProfile == "auto" ? Profile.detect(guest) : askedProfile
        var context = FixContext(
            guest: guest, deviceMap: DeviceMapping.withDefaults(askedMap), profile: profile,
            partitionTable: partitionTable)
        context.runsGuestPrograms = !editsOnly && profile != "none"
        return context
    }
}

/// One file an edit changes: the text before and after (nil after = the file is removed;
/// nil before = it is created), and one line per change for the report.
public struct FileChange: Sendable, Equatable, Codable {
    public var path: String
    public var before: String?
    public var after: String?
    /// Which edit made it ("fstab", "grub-legacy", …).
    public var edit: String
    public var summary: [String]

    public init(path: String, before: String?, after: String?, edit: String, summary: [String]) {
        self.path = path
        self.before = before
        self.after = after
        self.edit = edit
        self.summary = summary
    }
}

/// A small named unit of guest conversion: reads what it needs through a read-only view of the
/// guest and says which files change and how. It never writes: `GuestEdits.apply` does, so
/// `inspect --edits` (the unmounted image), `fix --dry-run` and the real run share one code
/// path. Running an edit on its own output changes nothing.
///
/// A new fix is a rule in one of these units (or a new unit listed in `GuestEdits.all`) and its
/// golden files in Fixtures/expected: inspect, fix and convert all plan through `GuestEdits`.
public protocol GuestEdit: Sendable {
    /// Stable name, used in reports and tests.
    var name: String { get }
    func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange]
}

extension GuestEdit {
    /// A change for `path` when `transform` alters its text; nothing when the file is absent
    /// or already right.
    public func rewrite(
        _ path: String, in root: GuestView, _ transform: (String) -> (text: String, summary: [String])
    ) throws(GuestFixError) -> [FileChange] {
        guard let before = try root.read(path) else { return [] }
        let (after, summary) = transform(before)
        guard after != before else { return [] }
        return [FileChange(path: path, before: before, after: after, edit: name, summary: summary)]
    }

    /// The changes `transform` makes to each of a config's places; one file reached by several
    /// of them (`menu.lst -> grub.conf`) is edited once (`ConfigFiles.distinct`).
    func rewriteEach(
        _ paths: [String], in root: GuestView, _ transform: (String) -> (text: String, summary: [String])
    ) throws(GuestFixError) -> [FileChange] {
        var result: [FileChange] = []
        for path in try ConfigFiles.distinct(paths, in: root) {
            result += try rewrite(path, in: root, transform)
        }
        return result
    }
}

extension DeviceMapping {
    /// The mapping the edits rename by: the context's guest and device map.
    init(_ context: FixContext) {
        self.init(guest: context.guest, deviceMap: context.deviceMap)
    }
}
