import HostSystem

/// The checks that keep data safe: the source in use, the target being the source, the
/// target holding something (--force), an unclean source (--repair-copy). Each failed check
/// says what to do.
enum SafetyChecks {
    /// Where the source's use is checked: here, or on the host it lies on (what it found).
    enum SourceUse {
        case here
        case found(String?)
    }

    static func run(
        _ options: ConvertOptions, source: SourceFacts, sourceID: DiskIdentity, target: TargetFacts,
        targetID: DiskIdentity, sourceUse: SourceUse = .here
    ) -> [ConversionPlan.Check] {
        var checks: [ConversionPlan.Check] = []

        // Mounted read-write, or not mounted here yet live: the disk of a Xen guest that still
        // runs (blkback holds it, QEMU locks it). A read-only mount (someone looking) is fine.
        let inUse: String?
        switch sourceUse {
        case .here:
            inUse = sourceID.kind == .missing ? nil : DiskInUse.reason(options.source, readOnlyMountsCount: false)
        case .found(let reason): inUse = reason
        }
        checks.append(
            .init(
                name: "source not in use", passed: inUse == nil,
                detail: inUse.map {
                    "\(options.source) is \($0): shut the guest down (or unmount it) first; a copy of a live "
                        + "filesystem is not consistent"
                } ?? "not mounted read-write, not held or locked by another program"))

        let same = targetID.kind != .missing && (targetID.isSameData(as: sourceID) || options.target == options.source)
        checks.append(
            .init(
                name: "target is not the source", passed: !same,
                detail: same
                    ? "\(options.target) is the source itself (the same file or device): name a different target"
                    : "different data"))

        // Writing under a mounted filesystem or a running VM corrupts it, --force or not.
        if targetID.kind != .missing {
            let use = DiskInUse.reason(options.target)
            checks.append(
                .init(
                    name: "target not in use", passed: use == nil,
                    detail: use.map { "\(options.target) is \($0): unmount it or stop what uses it" }
                        ?? "not mounted, not held or locked by another program"))
        }

        let holdsData = target.holdsData
        checks.append(
            .init(
                name: "target holds no data", passed: !holdsData || options.force,
                detail: !holdsData
                    ? "libblkid recognises nothing on it"
                    : options.force
                        ? "it holds \(target.holds); --force: it will be overwritten"
                        : "\(options.target) holds \(target.holds): it would be overwritten. Check it is the right "
                            + "target, then add --force"))

        if let clean = source.clean {
            let reasons = source.uncleanReasons.isEmpty ? "errors" : source.uncleanReasons.joined(separator: ", ")
            checks.append(
                .init(
                    name: "source filesystem clean", passed: clean || options.repairCopy,
                    detail: clean
                        ? "clean"
                        : options.repairCopy
                            ? "not clean; --repair-copy: every block is copied and the copy repaired with e2fsck -fy, "
                                + "the source is left alone"
                            : "the filesystem on \(options.source) is not clean (\(reasons)), so its bitmaps cannot "
                                + "be trusted. Shut the guest down cleanly and retry, or add --repair-copy to copy every "
                                + "block and repair the copy (never the source)"))
        }
        return checks
    }
}
