import Conversion
import FoundationEssentials
import GuestFixes
import Remote

/// Everything `convert` prints: the plan, progress, the summary, errors; JSON or text.
struct ConvertOutput {
    let json: Bool
    let quiet: Bool

    var progress: any ProgressReporter { json || quiet ? SilentProgress() : ProgressDisplay() }

    func plan(_ plan: ConversionPlan, dryRun: Bool) {
        if json {
            if dryRun { printJSON(["plan": AnyEncodable(plan)]) }
            return
        }
        if quiet && !dryRun { return }
        print(ConvertText.plan(plan, dryRun: dryRun), terminator: "")
    }

    func success(plan: ConversionPlan, result: ConversionResult, fixes: FixReport?) {
        if json {
            var object = ["plan": AnyEncodable(plan), "result": AnyEncodable(result)]
            if let fixes { object["fixes"] = AnyEncodable(fixes) }
            printJSON(object)
        } else if !quiet {
            print(ConvertText.summary(plan: plan, result: result), terminator: "")
            if let fixes { print(FixText.render(fixes), terminator: "") }
        }
    }

    /// A remote source's transfer, done (on stderr: stdout stays the report or the JSON object).
    func received(_ received: RemoteFetch.Received) {
        guard !json && !quiet else { return }
        let rate = received.seconds > 0 ? UInt64(Double(received.bytesReceived) / received.seconds) : 0
        let skipped = received.bytesReceived - min(received.bytesWritten, received.bytesReceived)
        RawOutput.stderr(
            "received \(received.source) by \(received.transport.rawValue): \(ByteCount.text(received.bytesReceived)) "
                + "in \(ByteCount.seconds(received.seconds)) (\(ByteCount.text(rate))/s), "
                + "\(ByteCount.text(received.bytesWritten)) written, \(ByteCount.text(skipped)) of zeros skipped; "
                + "converting the staging copy \(received.staging)\n")
    }

    func failure(_ error: ConversionError, plan: ConversionPlan?) {
        if json {
            var object: [String: AnyEncodable] = [
                "error": AnyEncodable(["kind": kind(error), "message": error.description])
            ]
            if let plan { object["plan"] = AnyEncodable(plan) }
            printJSON(object)
        }
        self.error(error.description)
    }

    func error(_ text: String) {
        ErrorOutput.print(text)
    }

    private func kind(_ error: ConversionError) -> String {
        switch error {
        case .refused: return "refused"
        case .failed: return "failed"
        case .interrupted: return "interrupted"
        }
    }

    private func printJSON(_ object: [String: AnyEncodable]) {
        try? JSONOutput.print(object)
    }
}

/// Lets one JSON object hold values of different types.
struct AnyEncodable: Encodable {
    private let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}

/// The human-readable plan and summary.
enum ConvertText {
    static func plan(_ plan: ConversionPlan, dryRun: Bool) -> String {
        var out = dryRun ? "Plan (dry run: nothing is written)\n" : "Plan\n"
        out +=
            "  source   \(plan.source.path) (\(plan.source.kind.rawValue), \(size(plan.source.sizeBytes))): \(plan.source.holds)"
        if let distro = plan.source.distro { out += ", guest \(distro)" }
        out += "\n"
        out += "  target   \(plan.target.path) (\(plan.target.kind), \(size(plan.target.sizeBytes)))"
        out += plan.target.existingBytes > 0 ? ", holds \(plan.target.holds)\n" : "\n"
        out += "  method   \(plan.method.rawValue): \(plan.methodReason)\n"
        if let layout = plan.layout {
            out +=
                "  layout   \(layout.table), partition 1 at sector \(layout.partitionStart), "
                + "\(layout.partitionSectors) sectors (\(size(layout.partitionBytes))), disk \(size(layout.diskBytes))\n"
        } else {
            out += "  layout   the source's own (copied as it is)\n"
        }
        out += "  copy     \(size(plan.bytesToCopy)); temporary space \(size(plan.temporaryBytes))\n"
        for check in plan.checks {
            out += "  \(check.passed ? "ok  " : "FAIL") \(check.name): \(check.detail)\n"
        }
        for note in plan.notes { out += "  note     \(note)\n" }
        return out
    }

    static func summary(plan: ConversionPlan, result: ConversionResult) -> String {
        var out = "Done\n"
        out += "  method   \(result.method.rawValue)\n"
        if let layout = result.layout {
            out +=
                "  layout   \(layout.table), partition 1 at sector \(layout.partitionStart) "
                + "(\(size(layout.partitionBytes))), disk \(size(layout.diskBytes))\n"
        }
        if result.method == .swap {
            let names = [plan.source.uuid.map { "UUID=\($0)" }, plan.source.label.map { "LABEL=\($0)" }]
            out += "  swap     new swap area in partition 1, \(names.compactMap { $0 }.joined(separator: " "))\n"
        } else {
            let shared = result.bytesShared > 0 ? ", \(size(result.bytesShared)) shared by reflink" : ""
            out +=
                "  copied   \(size(result.bytesCopied)) (\(size(result.bytesWritten)) written\(shared)) in "
                + "\(ByteCount.seconds(result.seconds)), \(size(UInt64(result.bytesPerSecond)))/s\n"
        }
        if let repair = result.repair { out += "  repair   e2fsck -fy exit \(repair.exitStatus)\n" }
        if let fsck = result.fsck { out += "  fsck     e2fsck -fn: \(fsck.clean ? "clean" : "problems")\n" }
        out += "  target   \(plan.target.path)\n"
        return out
    }

    static func size(_ bytes: UInt64) -> String { ProgressDisplay.size(bytes) }
}
