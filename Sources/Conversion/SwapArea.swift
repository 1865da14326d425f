import BlockProbe
import HostSystem

/// The swap method: partition 1 of the target gets a new swap area (mkswap through a loop
/// device over the partition's byte range) with the source's UUID and label, so fstab lines
/// by UUID=, LABEL= or the mapped device name all find it.
enum SwapArea {
    static func create(_ plan: ConversionPlan) async throws(ConversionError) {
        guard let layout = plan.layout else { throw .failed("the plan lacks the swap partition's layout") }
        var arguments: [String] = []
        if let uuid = plan.source.uuid { arguments += ["--uuid", uuid] }
        if let label = plan.source.label { arguments += ["--label", label] }
        let loops = LoopMounts()
        defer { _ = loops.release() }
        do {
            let device = try loops.attach(
                plan.target.path, offset: layout.partitionOffsetBytes, length: layout.partitionBytes, readOnly: false)
            let made = try await HostTool.run("mkswap", arguments + [device], package: "util-linux")
            guard made.status == 0 else { throw ConversionError.failed("mkswap failed:\n\(made.tail)") }
        } catch let error as ConversionError {
            throw error
        } catch {
            throw .failed("making the swap area: \(error)")
        }
    }

    /// Reads back what libblkid finds in partition 1: a swap area with the source's UUID.
    static func verify(_ plan: ConversionPlan) throws(ConversionError) {
        guard let layout = plan.layout else { return }
        let found: ProbeResult
        do {
            found = try BlockProbe.probe(plan.target.path, offset: layout.partitionOffsetBytes)
        } catch {
            throw .failed("reading back the new swap area: \(error.description)")
        }
        guard found.type == "swap", plan.source.uuid == nil || found.uuid == plan.source.uuid else {
            throw .failed(
                "partition 1 holds \(found.summary) after mkswap, not a swap area with UUID \(plan.source.uuid ?? "-")")
        }
    }
}
