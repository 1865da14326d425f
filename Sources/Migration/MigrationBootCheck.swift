import BootCheck
import Conversion

/// `migrate --boot-check`: the converted guest boots with all its disks, in the domain's order
/// (vda, vdb, …), under QEMU on snapshots, before the domain is defined anywhere. A guest that
/// does not reach its login prompt is not handed to libvirt.
public enum MigrationBootCheck {
    /// How the boot went, as the migration report keeps it.
    public struct Proof: Sendable, Codable, Equatable {
        public var booted: Bool
        /// The stage reached, by name ("login prompt", "kernel started").
        public var stage: String
        public var failure: String?
        public var accelerator: String
        public var seconds: Double
        public var consoleLog: String
        /// The disks attached, boot disk first.
        public var disks: [String]
        /// Swap areas the guest activated (the swap disk works under KVM names).
        public var swaps: [String]
        public var lastLines: [String]
    }

    /// The targets in the order the domain attaches them: by virtio name, vda first.
    public static func disks(of plan: MigrationPlan) -> [String] {
        plan.disks.sorted { ($0.kvmDisk.count, $0.kvmDisk) < ($1.kvmDisk.count, $1.kvmDisk) }.map(\.target)
    }

    /// <dir of the XML>/<guest>-boot-check.log.
    public static func consoleLog(of plan: MigrationPlan) -> String {
        let directory = plan.xmlPath.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        return (directory.isEmpty ? "." : directory.joined(separator: "/")) + "/\(plan.domain.name)-boot-check.log"
    }

    /// Boots the plan's targets with `template`'s timeout, accelerator and memory.
    public static func run(
        _ plan: MigrationPlan, template: BootOptions, progress: any ProgressReporter
    ) async throws(MigrationError) -> Proof {
        let disks = disks(of: plan)
        guard let boot = disks.first else { throw .refused(["no disk to boot"]) }
        var options = template
        options.disk = boot
        options.extraDisks = Array(disks.dropFirst())
        options.onProgress = { line in progress.note(line) }
        // Beside the domain XML, where the operator looks next, not in $TMPDIR.
        if options.consoleLog == nil { options.consoleLog = consoleLog(of: plan) }
        let result: BootResult
        do {
            result = try await BootChecker.run(options)
        } catch {
            if case .interrupted = error { throw .interrupted("stopped during the boot check") }
            throw .bootCheck(error.description)
        }
        return Proof(
            booted: result.booted, stage: result.stage.description, failure: result.failure?.rawValue,
            accelerator: result.accelerator.rawValue, seconds: result.seconds, consoleLog: result.consoleLog,
            disks: disks, swaps: result.events.swaps, lastLines: result.lastLines)
    }
}
