import HostSystem

/// The checks that keep data safe: the source in use, the target being the source, the
/// target holding something, an unclean source. Each failed check says what to do.
enum SafetyChecks {
    static func run(
        _ options: ConvertOptions, source: SourceFacts, sourceID: DiskIdentity, target: TargetFacts,
        targetID: DiskIdentity
    ) -> [ConversionPlan.Check] {
        var checks: [ConversionPlan.Check] = []

        let writable = Mounts.using(sourceID).filter(\.readWrite)
        checks.append(
            .init(
                name: "source not in use", passed: writable.isEmpty,
                detail: writable.isEmpty
                    ? "not mounted read-write"
                    : "\(options.source) is mounted read-write on \(writable.map(\.mountPoint).joined(separator: ", ")): "
                        + "shut the guest down (or unmount it) first; a copy of a live filesystem is not consistent"))

        let same = targetID.kind != .missing && (targetID.isSameData(as: sourceID) || options.target == options.source)
        checks.append(
            .init(
                name: "target is not the source", passed: !same,
                detail: same
                    ? "\(options.target) is the source itself (the same file or device): name a different target"
                    : "different data"))

        if targetID.kind != .missing {
            let mounted = Mounts.using(targetID)
            checks.append(
                .init(
                    name: "target not mounted", passed: mounted.isEmpty,
                    detail: mounted.isEmpty
                        ? "not mounted"
                        : "\(options.target) is mounted on \(mounted.map(\.mountPoint).joined(separator: ", ")): unmount it"
                ))
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
            checks.append(
                .init(
                    name: "source filesystem clean", passed: clean || options.force,
                    detail: clean
                        ? "clean"
                        : options.force
                            ? "not clean; --force: the copy is repaired with e2fsck -fy, the source is left alone"
                            : "the filesystem on \(options.source) is not clean (not cleanly unmounted, errors, or a "
                                + "journal to replay). Shut the guest down cleanly and retry, or add --force to copy "
                                + "it anyway and repair the copy (never the source)"))
        }
        return checks
    }
}
