import Conversion
import HostSystem
import XenDefinition

/// Plans a whole guest from its definition. Reads only; never writes.
public enum MigrationPlanner {
    public static func plan(
        definition text: String, form: DefinitionForm? = nil, source: String? = nil, options: MigrationOptions,
        xenToolPath: String? = XenRunning.defaultPath, parser: ImageParser = .inProcess
    ) async throws(XenDefinitionError) -> MigrationPlan {
        // Each disk is probed once, by the parser (libblkid on an image that may be hostile),
        // and the same content decides its KVM name and its method. The reader asks for the
        // content as it maps the disks, synchronously: a first reading names the disks. A
        // received disk's copy is probed in its place.
        var asked: [String] = []
        _ = try? XenDefinitionReader.read(
            text, form: form, source: source,
            wholeDiskContent: { disk in
                asked.append(disk.target)
                return nil
            })
        var contents: [String: DiskContent] = [:]
        for path in Set(asked) {
            if let streamed = options.streamedDisks[path] {
                contents[path] = streamed.content
                continue
            }
            contents[path] = await parser.probe(options.receivedCopies[path] ?? path).map(DiskContent.init)
        }
        let definition = try XenDefinitionReader.read(
            text, form: form, source: source, wholeDiskContent: { contents[$0.target]?.mapContent })
        var refusals = definition.findings.filter { $0.severity == .blocker }.map { "\($0.code): \($0.message)" }
        let name = definition.guest.name ?? "guest"
        if let xenToolPath, let running = await XenRunning.refusal(name: name, path: xenToolPath) {
            refusals.append(running)
        }

        let known = Set(definition.deviceMap.entries.map(\.xen))
        for vdev in options.diskTargets.keys.sorted() where !known.contains(vdev) {
            refusals.append(
                "--disk \(vdev)=…: the definition has no disk \(vdev) (it has \(known.sorted().joined(separator: ", ")))"
            )
        }
        var disks: [MigrationPlan.Disk] = []
        for entry in definition.deviceMap.entries {
            disks.append(
                await planDisk(
                    entry, content: contents[entry.target], name: name, options: options, parser: parser))
        }
        refusals += conflicts(disks)
        refusals += disks.compactMap { disk in disk.refusal.map { "\(disk.xen): \($0)" } }

        let planned = disks.map { disk in
            DomainBuilder.PlannedDisk(
                xen: disk.xen, kvmDisk: disk.kvmDisk, target: disk.target,
                block: DiskIdentity.of(disk.target).kind == .blockDevice,
                readOnly: definition.guest.disks.first { $0.vdev == disk.xen }?.access == .readOnly,
                isRoot: disk.role == .root)
        }
        let built = DomainBuilder.build(definition, disks: planned, options: options)
        refusals += built.problems + DomainChecks.problems(built.spec)
        let xmlPath = xmlPath(
            name: name, rootTarget: disks.first { $0.role == .root }.map(\.target), options: options)
        if DiskIdentity.of(xmlPath).kind != .missing && !options.force {
            refusals.append("\(xmlPath) exists: remove it, or pass --force to write over it")
        }
        var notes = built.notes
        if let root = disks.first(where: { $0.role == .root }) {
            notes.append("the guest fixes run once, on \(root.kvmDisk) (the root), with the device map above")
        }
        return MigrationPlan(
            definition: definition, disks: disks,
            deviceMap: definition.deviceMap.fixMap.merging(options.fix.deviceMap) { _, asked in asked },
            domain: built.spec,
            xml: DomainXML.render(built.spec), xmlPath: xmlPath, dropped: built.dropped, notes: notes,
            refusals: refusals)
    }

    private static func planDisk(
        _ entry: DeviceMap.Entry, content: DiskContent?, name: String, options: MigrationOptions, parser: ImageParser
    ) async -> MigrationPlan.Disk {
        let target = target(of: entry, guest: name, options: options)
        let (role, method, why): (MigrationPlan.Disk.Role, CopyMethod, String)
        if entry.isRoot {
            (role, method, why) = (
                .root, .auto, "the root: convert's planner makes it a partitioned KVM disk that boots, then it is fixed"
            )
        } else {
            let (dataMethod, reason) =
                content?.dataMethod(kvmName: entry.kvm)
                ?? (.auto, "its source cannot be read: convert's planner says why")
            (role, method, why) = (content == .swap ? .swap : .data, dataMethod, reason)
        }
        let streamed = options.streamedDisks[entry.target]
        let source = streamed?.source ?? options.receivedCopies[entry.target] ?? entry.target
        var disk = MigrationPlan.Disk(
            xen: entry.xen, source: source, origin: options.sourceHost.map { $0 + entry.target },
            target: target ?? "", kvmDisk: entry.kvmDisk, kvmName: entry.kvm, role: role, askedMethod: method,
            why: why)
        guard let target else {
            disk.refusal = "no target: pass --storage dir:PATH or --disk \(entry.xen)=TARGET"
            return disk
        }
        var convert = ConvertOptions(source: source, target: target)
        convert.method = method
        convert.force = options.force
        // A disk the x2k stream writes is planned from its header, where a local or received
        // disk is planned from its bytes: the same planner, the same options, the same plan.
        var planned: Result<ConversionPlan, ConversionError>
        var fresh = true
        if var streamed {
            streamed.convert = convert
            disk.streamed = streamed
            (planned, fresh) = streamed.plan(convert)
        } else {
            planned = await parser.plan(convert)
        }
        switch planned {
        case .success(var plan):
            if let streamed, plan.method != .blocks {
                disk.refusal =
                    "the x2k transport writes the used blocks into partition 1 as they are (method blocks); this "
                    + "disk needs method \(plan.method.rawValue) (\(plan.methodReason)) from \(streamed.source): "
                    + "use --transport e2image"
            }
            if role == .root {
                var fix = options.fix
                fix.disk = target
                // An interrupted x2k transfer's plan has its fix checks already.
                if fresh { GuestFixPlanning.addChecks(to: &plan, noFix: false, fix: fix) }
                if !plan.fixesGuest {
                    disk.refusal = "the root disk would hold no guest the fixes can reach (\(plan.methodReason))"
                }
            }
            disk.refusal = disk.refusal ?? plan.refusal?.detail
            disk.conversion = plan
        case .failure(.refused(let text)), .failure(.failed(let text)), .failure(.interrupted(let text)):
            disk.refusal = text
        }
        return disk
    }

    /// Two disks onto one target, or a target that is another disk's source.
    private static func conflicts(_ disks: [MigrationPlan.Disk]) -> [String] {
        var problems: [String] = []
        var seen: [String: String] = [:]
        for disk in disks where !disk.target.isEmpty {
            if let other = seen[disk.target] {
                problems.append("\(other) and \(disk.xen) have one target, \(disk.target)")
            }
            seen[disk.target] = disk.xen
            if let other = disks.first(where: { $0.source == disk.target }) {
                problems.append("the target of \(disk.xen) is the source of \(other.xen), \(disk.target)")
            }
        }
        return problems
    }

    /// A disk's target: its `--disk`, else `<storage>/<guest>-<vdev>.img`; nil without either.
    public static func target(of entry: DeviceMap.Entry, guest name: String, options: MigrationOptions) -> String? {
        options.diskTargets[entry.xen] ?? options.storageDirectory.map { "\($0)/\(name)-\(entry.xen).img" }
    }

    /// Beside the disks: the storage directory, else the root target's directory when it is a
    /// file, else the current directory (for block device targets).
    public static func xmlPath(name: String, rootTarget: String?, options: MigrationOptions) -> String {
        if let directory = options.storageDirectory { return "\(directory)/\(name).xml" }
        if let root = rootTarget, !root.isEmpty, !root.hasPrefix("/dev/"), DiskIdentity.of(root).kind != .blockDevice,
            let slash = root.lastIndex(of: "/")
        {
            return "\(root[..<slash])/\(name).xml"
        }
        return "\(name).xml"
    }
}
