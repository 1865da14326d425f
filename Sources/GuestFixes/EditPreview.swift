import Inspection

/// `inspect --edits`: the changes `convert` would write into the guest, planned by the same
/// edits from inspection's read-only view of the source (libext2fs on the unmounted image: no
/// root, no mount). Inspection cannot know convert's options, so it assumes its defaults and
/// says which: the partition table, the device map, the profile, whether the guest helper runs.
public struct EditPreview: Sendable, Codable {
    public var profile: String
    /// "mbr" or "gpt": the table convert gives the new disk (a partitioned source keeps its own).
    public var partitionTable: String
    /// Xen → KVM device names the edits map.
    public var deviceMap: [String: String]
    /// The profile's guest helper runs after the edits (what it does is not a file edit then).
    public var runsGuestPrograms: Bool
    /// Why no edits are planned (convert fixes no guest here, or would refuse to); nil when
    /// `edits` is the plan.
    public var notPlanned: String?
    /// As `fix --dry-run` reports them: file, edit, one line per change, the unified diff.
    public var edits: [FixReport.Edit]

    /// The plan for the guest `report` describes, read from `guest` (the filesystem inspection
    /// read: for a partitioned source, the root partition at its offset).
    public static func plan(_ guest: any GuestFileSource, report: InspectionReport) -> EditPreview {
        guard let facts = report.guest else { return noGuest(report) }
        let disk = ConvertDefaults(report)
        let context = FixContext.forFix(
            guest: facts, profile: "auto", deviceMap: disk.placement.deviceMap, partitionTable: disk.partitionTable,
            editsOnly: false)
        var preview = EditPreview(
            profile: context.profile, partitionTable: context.partitionTable, deviceMap: context.deviceMap,
            runsGuestPrograms: context.runsGuestPrograms, edits: [])
        if let reason = disk.placement.notFixed ?? GuestFixer.onlyXenKernels(facts) {
            preview.notPlanned = reason
            return preview
        }
        do {
            preview.edits = try GuestEdits.plan(guest, context: context).map { .init($0, diff: true) }
        } catch {
            preview.notPlanned = "the edits cannot be planned: \(error)"
        }
        return preview
    }
}

extension EditPreview {
    /// For a source inspection found no guest filesystem in: nothing to plan.
    public static func noGuest(_ report: InspectionReport) -> EditPreview {
        let disk = ConvertDefaults(report)
        return EditPreview(
            profile: "none", partitionTable: disk.partitionTable, deviceMap: FixContext.defaultDeviceMap,
            runsGuestPrograms: false,
            notPlanned: "no ext2/3/4 guest filesystem found: convert fixes no guest on this disk", edits: [])
    }
}

/// What `convert SOURCE TARGET` with no options makes of the disk the edits run on
/// (`GuestPlacement(convertDefaultsFor:)`): a bare filesystem goes into partition 1 of a new
/// MBR disk; a partitioned Xen disk is cloned, its own table kept.
struct ConvertDefaults {
    var partitionTable = "mbr"
    var placement: GuestPlacement

    init(_ report: InspectionReport) {
        placement = GuestPlacement(convertDefaultsFor: report)
        if let table = report.source.partitionTable { partitionTable = table == "gpt" ? "gpt" : "mbr" }
    }
}
