import Conversion
import FoundationEssentials
import HostSystem
import Migration

/// A fleet: every guest of a manifest planned (the dry run's readiness), or run N at a time,
/// each guest on its own: one failing never stops the others.
public enum Fleet {
    /// Reads and validates a manifest file; the guests' relative paths are its directory's.
    public static func load(_ path: String) throws(FleetError) -> [FleetGuest] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .manifest(ManifestError(place: path, field: nil, problem: "cannot be read"))
        }
        do {
            let manifest = try FleetManifest.parse(String(decoding: data, as: UTF8.self))
            return manifest.resolved(relativeTo: directory(of: path))
        } catch {
            throw .manifest(error)
        }
    }

    static func directory(of path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard let slash = absolute.lastIndex(of: "/") else { return "." }
        return slash == absolute.startIndex ? "/" : String(absolute[..<slash])
    }

    /// `MANIFEST.state` beside the manifest (fleet.json → fleet.state).
    public static func defaultStateDirectory(for manifest: String) -> String {
        let base = manifest.hasSuffix(".json") ? String(manifest.dropLast(5)) : manifest
        return base + ".state"
    }

    /// Plans (`dryRun`) or runs `guests`, `parallel` at a time, in the manifest's order.
    public static func run(
        _ guests: [FleetGuest], state: StateDirectory, parallel: Int, dryRun: Bool, settings: FleetSettings
    ) async -> FleetReport {
        let started = ContinuousClock.now
        let width = max(1, parallel)
        var reports = [FleetReport.Guest?](repeating: nil, count: guests.count)
        await withTaskGroup(of: (Int, FleetReport.Guest).self) { group in
            var next = 0
            func add() {
                let index = next
                let guest = guests[index]
                next += 1
                group.addTask {
                    if !dryRun, let signal = Cancellation.signal {
                        var work = GuestWork(guest, state: state, settings: settings)
                        return (index, work.failed("not started: the fleet run was interrupted (signal \(signal))"))
                    }
                    var work = GuestWork(guest, state: state, settings: settings)
                    return (index, await work.run(dryRun: dryRun))
                }
            }
            while next < min(width, guests.count) { add() }
            while let (index, report) = await group.next() {
                reports[index] = report
                if next < guests.count { add() }
            }
        }
        let done = reports.compactMap { $0 }
        let seconds = dryRun ? estimate(done.map(\.seconds), parallel: width) : GuestWork.seconds(since: started)
        let assumptions =
            dryRun
            ? [
                "each guest's copy moves \(Int(settings.bytesPerSecond / 1_048_576)) MiB/s (--rate): the used blocks "
                    + "read from the source and written to the target on this host",
                "each guest needs \(Int(settings.editsOnlySeconds)) s besides the copy with edits only, "
                    + "\(Int(settings.programsSeconds)) s when its own programs run (initrd rebuild, grub)",
                "\(width) guests at a time, started in the manifest's order as others finish; blocked and fixable "
                    + "guests take no time",
            ] : []
        return FleetReport(dryRun: dryRun, parallel: width, guests: done, seconds: seconds, assumptions: assumptions)
    }

    /// The wall time of guests taking `durations`, `parallel` at a time, each started in order
    /// when a slot frees (as `run` does).
    static func estimate(_ durations: [Double], parallel: Int) -> Double {
        var slots = [Double](repeating: 0, count: parallel)
        for duration in durations {
            let free = slots.indices.min { slots[$0] < slots[$1] }!
            slots[free] += duration
        }
        return slots.max() ?? 0
    }
}
