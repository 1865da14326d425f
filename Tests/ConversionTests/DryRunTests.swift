import Conversion
import Foundation
import TestSupport
import Testing

/// `--dry-run` is how an operator checks a conversion before an outage window: it must show
/// everything the run would do (method, layout, bytes, every check) and write nothing at all,
/// not even create or resize the target.
@Suite struct DryRunTests {
    static func cli(_ arguments: [String]) async throws -> CommandResult {
        try await Xen2KVMBinary.run(["convert", "--dry-run"] + arguments)
    }

    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return try #require(object, "not a JSON object: \(text)")
    }

    @Test(.requires(tools: ["mke2fs"]))
    func printsThePlanAndCreatesNothing() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("kvm.img")
        let plan = try Planner.plan(Harness.options(source, target))

        let run = try await Self.cli([source, target])
        #expect(run.status == 0, "\(run.stderr)")
        let text = run.stdout
        #expect(text.contains("dry run"))
        #expect(text.contains("method   blocks"), "\(text)")
        #expect(text.contains("layout   mbr, partition 1 at sector 2048, \(131072) sectors"), "\(text)")
        #expect(text.contains("copy     "))
        // Every check is listed with its verdict, not only the failed ones.
        for check in plan.checks {
            #expect(text.contains("ok   \(check.name)"), "missing check \(check.name): \(text)")
        }
        #expect(!Harness.exists(target), "a dry run created the target")

        let dosCompat = try await Self.cli(["--dos-compat", source, target])
        #expect(dosCompat.stdout.contains("layout   mbr, partition 1 at sector 32, "), "\(dosCompat.stdout)")
        #expect(!Harness.exists(target))
    }

    /// An existing target that holds data: with --force the dry run passes, and still the
    /// file is untouched (same bytes, same size). An empty existing file is not grown either.
    @Test(.requires(tools: ["mke2fs", "sha256sum"]))
    func existingTargetsAreNotWritten() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let old = dir.file("old.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos7"), at: old, size: "80M")
        let before = try await sha256(old)

        let forced = try await Self.cli(["--force", source, old])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("--force: it will be overwritten"), "\(forced.stdout)")
        #expect(try await sha256(old) == before, "a dry run wrote to the target")

        let empty = dir.file("empty.img")
        try Harness.sparseFile(empty, bytes: 0)
        let grown = try await Self.cli([source, empty])
        #expect(grown.status == 0, "\(grown.stderr)")
        #expect(Harness.fileSize(empty) == 0, "a dry run resized an empty target")
    }

    /// `--dry-run --json`: one object whose "plan" carries method, layout, bytesToCopy and the
    /// checks, matching what the library plans; no "result", since nothing ran.
    @Test(.requires(tools: ["mke2fs"]))
    func jsonPlan() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("kvm.img")
        let expected = try Planner.plan(Harness.options(source, target) { $0.table = .gpt })

        let run = try await Self.cli(["--json", "--table", "gpt", source, target])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try Self.json(run.stdout)
        #expect(object["result"] == nil)
        let plan = try #require(object["plan"] as? [String: Any])
        #expect(plan["method"] as? String == "blocks")
        let layout = try #require(plan["layout"] as? [String: Any])
        #expect(layout["table"] as? String == "gpt")
        #expect(layout["partitionStart"] as? Int == 2048)
        #expect(layout["diskSectors"] as? Int == Int(expected.layout?.diskSectors ?? 0))
        #expect(plan["bytesToCopy"] as? Int == Int(expected.bytesToCopy))
        #expect((plan["bytesToCopy"] as? Int ?? 0) > 0)
        let checks = try #require(plan["checks"] as? [[String: Any]])
        // The CLI adds the guest-fix checks after the library's own.
        let names = checks.compactMap { $0["name"] as? String }
        #expect(Array(names.prefix(expected.checks.count)) == expected.checks.map(\.name))
        #expect(names.contains("guest fixes can run"))
        #expect(checks.allSatisfy { $0["passed"] as? Bool == true && $0["detail"] is String })
        #expect(!Harness.exists(target))
    }

    /// A clone plan says it keeps the source's own table.
    @Test(.requires(tools: ["mke2fs", "sfdisk"]))
    func clonePlanShowsTheSourcesLayout() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.partitionedDisk(in: dir)
        let target = dir.file("kvm.img")
        let run = try await Self.cli([source, target])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("method   clone"), "\(run.stdout)")
        #expect(run.stdout.contains("layout   the source's own"), "\(run.stdout)")
        #expect(!Harness.exists(target))
    }

    /// A dry run that would refuse exits 2 like the real run, in text and JSON, whether a
    /// check fails or the request cannot be planned at all; the target stays as it was.
    @Test(.requires(tools: ["mke2fs", "sha256sum"]))
    func refusingDryRunExitsTwo() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("other.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos7"), at: target, size: "80M")
        let before = try await sha256(target)

        let text = try await Self.cli([source, target])
        #expect(text.status == 2)
        #expect(text.stdout.contains("FAIL target holds no data"), "\(text.stdout)")
        #expect(text.stderr.contains("would refuse") && text.stderr.contains("--force"), "\(text.stderr)")

        let json = try await Self.cli(["--json", source, target])
        #expect(json.status == 2)
        let plan = try #require(try Self.json(json.stdout)["plan"] as? [String: Any])
        let failed = (plan["checks"] as? [[String: Any]] ?? []).filter { $0["passed"] as? Bool == false }
        #expect(failed.compactMap { $0["name"] as? String } == ["target holds no data"])
        #expect(try await sha256(target) == before)

        let unplannable = try await Self.cli(["--json", dir.file("missing.img"), dir.file("new.img")])
        #expect(unplannable.status == 2)
        let error = try #require(try Self.json(unplannable.stdout)["error"] as? [String: Any])
        #expect(error["kind"] as? String == "refused")
        #expect(!Harness.exists(dir.file("new.img")))
    }
}
