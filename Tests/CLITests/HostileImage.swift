import Foundation
import TestSupport

/// What every damaged image must get from xen2kvm: `inspect --json`, `inspect` and
/// `convert --dry-run` each end with exit 0 or a clear refusal (stderr "xen2kvm: …"; inspect
/// 1, convert 1 or 2), never a signal or a hang, and the image is not written.
enum HostileImage {
    /// Seconds one run may take before it counts as a hang (a sound image takes well under one).
    static let timeLimit = 20

    /// What the three runs did with one image.
    struct Outcome: Sendable {
        /// Every way the image was mishandled, in words; empty when it was handled.
        var problems: [String] = []
        /// The exit status of each run, "inspect 1", "convert 2"…, for the corpus's tally.
        var statuses: [String] = []
        /// What `inspect --json` printed.
        var report = ""
    }

    static func run(on image: String, in dir: TemporaryDirectory) async throws -> Outcome {
        let before = try await sha256(image)
        let target = dir.file("kvm.img")
        var outcome = Outcome()
        for arguments in [["inspect", "--json", image], ["inspect", image], ["convert", "--dry-run", image, target]] {
            let command = "xen2kvm " + arguments.joined(separator: " ")
            // `timeout` ends with 124 when it had to stop the run (137 when TERM was not enough).
            // SWIFT_BACKTRACE off: a trap still prints its "Fatal error" line, without seconds
            // of symbolication.
            let result = try await Command.run(
                "timeout", ["-k", "5", "\(timeLimit)", Xen2KVMBinary.path] + arguments,
                environment: ["SWIFT_BACKTRACE": "enable=no"])
            let allowed: ClosedRange<Int32> = arguments[0] == "convert" ? 0...2 : 0...1
            let said = String(result.stderr.suffix(600))
            if arguments[1] == "--json" {
                outcome.report = result.stdout
            } else {
                outcome.statuses.append("\(arguments[0]) \(result.status)")
            }
            if result.status == 124 || result.status == 137 {
                outcome.problems.append("\(command): still running after \(timeLimit) s (a hang)")
            } else if result.status > 128 {
                outcome.problems.append("\(command): killed by signal \(result.status - 128): \(said)")
            } else if !allowed.contains(result.status) {
                outcome.problems.append("\(command): exit \(result.status): \(said)")
            } else if result.status != 0 && !result.stderr.hasPrefix("xen2kvm: ") {
                outcome.problems.append("\(command): exit \(result.status) without a \"xen2kvm: \" message: \(said)")
            } else if arguments[1] == "--json" && result.status == 0
                && (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) == nil
            {
                outcome.problems.append("\(command): exit 0 but stdout is not JSON: \(result.stdout.prefix(300))")
            }
        }
        if FileManager.default.fileExists(atPath: target) {
            outcome.problems.append("convert --dry-run created \(target)")
        }
        if try await sha256(image) != before { outcome.problems.append("the image was written (its sha256 changed)") }
        return outcome
    }

    /// Runs `body` over `items`, at most `width` at a time, and gathers what each returns.
    static func concurrently<Item: Sendable, Result: Sendable>(
        _ items: [Item], width: Int, _ body: @escaping @Sendable (Item) async -> Result
    ) async -> [Result] {
        await withTaskGroup(of: Result.self) { group in
            var pending = items[...]
            var gathered: [Result] = []
            for _ in 0..<min(width, pending.count) {
                let item = pending.removeFirst()
                group.addTask { await body(item) }
            }
            while let done = await group.next() {
                gathered.append(done)
                if let item = pending.popFirst() { group.addTask { await body(item) } }
            }
            return gathered
        }
    }
}
