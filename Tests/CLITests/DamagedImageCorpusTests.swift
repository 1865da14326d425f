import Foundation
import TestSupport
import Testing

/// Hostile input never crashes or hangs xen2kvm (issue 12): a corpus of damaged guest images,
/// built at test time from fixture images by a seeded generator, each through `inspect
/// --json`, `inspect` and `convert --dry-run` (HostileImage says what each must do).
///
/// `XEN2KVM_CORPUS_SEED=N` (or `random`) explores another corpus; `XEN2KVM_CORPUS_CASE=N`
/// rebuilds and runs one case of it, as a failure names them; `XEN2KVM_CORPUS_COUNT=N` makes
/// N cases instead of 320; `XEN2KVM_CORPUS_KEEP=DIR` keeps each failing image there.
@Suite struct DamagedImageCorpusTests {
    static let defaultSeed: UInt64 = 0x5EED_0012
    static let caseCount = 320

    @Test(.requires(tools: ["mke2fs", "debugfs", "dumpe2fs", "timeout", "sha256sum"]))
    func damagedImagesAreHandled() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed =
            environment["XEN2KVM_CORPUS_SEED"].map { $0 == "random" ? UInt64.random(in: 0...UInt64.max) : UInt64($0) }
            ?? Self.defaultSeed
        let seedValue = try #require(seed, "XEN2KVM_CORPUS_SEED must be a number or `random`")
        let count = environment["XEN2KVM_CORPUS_COUNT"].flatMap(Int.init) ?? Self.caseCount
        let numbers = environment["XEN2KVM_CORPUS_CASE"].flatMap(Int.init).map { [$0] } ?? Array(0..<count)
        let keep = environment["XEN2KVM_CORPUS_KEEP"]

        let dir = try TemporaryDirectory(prefix: "xen2kvm-corpus")
        var images: [CorpusImage] = []
        for variant in CorpusImage.variants { images.append(try await CorpusImage.build(variant, in: dir)) }
        let cases = numbers.map { DamageCase.make($0, seed: seedValue, images: images) }
        let bases = Dictionary(uniqueKeysWithValues: images.map { ($0.name, $0.bytes) })
        print("damaged-image corpus: seed \(seedValue), \(cases.count) cases over \(images.map(\.name))")

        let clock = ContinuousClock()
        let started = clock.now
        let outcomes = await HostileImage.concurrently(cases, width: 3) { damage -> HostileImage.Outcome in
            do {
                let caseDir = try TemporaryDirectory(prefix: "xen2kvm-case")
                let image = caseDir.file("\(damage.image)-\(damage.number).img")
                try Data(damage.apply(to: bases[damage.image]!)).write(to: URL(fileURLWithPath: image))
                var outcome = try await HostileImage.run(on: image, in: caseDir)
                if !outcome.problems.isEmpty, let keep {
                    try? FileManager.default.copyItem(atPath: image, toPath: "\(keep)/\(damage.number).img")
                }
                let rebuild =
                    "XEN2KVM_CORPUS_SEED=\(seedValue) XEN2KVM_CORPUS_CASE=\(damage.number) swift test --skip-build "
                    + "--filter DamagedImageCorpusTests"
                outcome.problems = outcome.problems.map { "seed \(seedValue) \(damage): \($0)\n  rebuild: \(rebuild)" }
                return outcome
            } catch {
                return HostileImage.Outcome(problems: ["seed \(seedValue) \(damage): the case did not run: \(error)"])
            }
        }
        let failures = outcomes.flatMap(\.problems)
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        // How deep the damage went: how many runs read the guest (0) or stopped at the damage.
        let tally = Dictionary(grouping: outcomes.flatMap(\.statuses)) { $0 }.mapValues(\.count)
        let counts = tally.keys.sorted().map { "\($0): \(tally[$0]!)" }.joined(separator: ", ")
        print(
            "damaged-image corpus: \(cases.count) cases in \(clock.now - started) (exit \(counts)), \(failures.count) problems"
        )
    }
}
