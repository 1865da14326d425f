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

    /// Plans (`dryRun`) or runs `guests`, `parallel` at a time and at most `perSource` from one
    /// source host (nil: no bound), in the manifest's order.
    public static func run(
        _ guests: [FleetGuest], state: StateDirectory, parallel: Int, perSource: Int? = nil, dryRun: Bool,
        settings: FleetSettings
    ) async -> FleetReport {
        let started = ContinuousClock.now
        let width = max(1, parallel)
        let schedule = FleetSchedule(hosts: guests.map(\.sourceHost), parallel: width, perSource: perSource)
        let done = await schedule.run { index in
            var work = GuestWork(guests[index], state: state, settings: settings)
            if !dryRun, let signal = Cancellation.signal {
                return work.failed("not started: the fleet run was interrupted (signal \(signal))")
            }
            return await work.run(dryRun: dryRun)
        }
        let seconds = dryRun ? schedule.estimate(done.map(\.seconds)) : GuestWork.seconds(since: started)
        let assumptions =
            dryRun
            ? [
                "each guest's copy moves \(Int(settings.bytesPerSecond / 1_048_576)) MiB/s (--rate): the used blocks "
                    + "read from the source and written to the target on this host",
                "each guest needs \(Int(settings.editsOnlySeconds)) s besides the copy with edits only, "
                    + "\(Int(settings.programsSeconds)) s when its own programs run (initrd rebuild, grub)",
                "\(width) guests at a time"
                    + (perSource.map { ", at most \($0) from one source host" } ?? "")
                    + ", started in the manifest's order as others finish; blocked and fixable guests take no time",
            ]
                + (guests.contains { $0.bootCheck }
                    ? [
                        "each guest with bootCheck boots for \(Int(settings.bootCheckSeconds)) s under QEMU before "
                            + "it is defined"
                    ] : [])
            : []
        return FleetReport(dryRun: dryRun, parallel: width, guests: done, seconds: seconds, assumptions: assumptions)
    }
}
