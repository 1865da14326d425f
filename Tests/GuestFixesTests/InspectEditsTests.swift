import Foundation
import TestSupport
import Testing

/// `inspect --edits` plans, from the unmounted source image and as an unprivileged user, the very
/// changes `fix --dry-run` plans on the mounted disk `convert --no-fix` made of it: same files,
/// same edits, same summaries, same diffs.
@Suite struct InspectEditsTests {
    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    /// The edits as one canonical JSON text per file, in the order they were planned.
    static func edits(_ value: Any?) throws -> [String] {
        let list = try #require(value as? [[String: Any]], "\(String(describing: value))")
        return try list.map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    /// `inspect --edits` of `image` as nobody (text and JSON), and `fix --dry-run --json` of
    /// the disk convert copies it to: inspect's report (its `edits` key aside) and fix's.
    static func inspectAndFix(_ image: String, in dir: TemporaryDirectory, fixing: [String] = []) async throws -> (
        inspected: [String: Any], text: String, fixed: [String: Any]
    ) {
        #expect(chmod(dir.path, 0o755) == 0)
        #expect(chmod(image, 0o444) == 0)
        let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Xen2KVMBinary.path, "inspect"]
        let json = try await Command.run("setpriv", nobody + ["--edits", "--json", image])
        #expect(json.status == 0, "\(json.stderr)")
        let text = try await Command.run("setpriv", nobody + ["--edits", image])
        #expect(text.status == 0, "\(text.stderr)")
        let plain = try await Command.run("setpriv", nobody + ["--json", image])
        #expect(plain.status == 0, "\(plain.stderr)")

        // The JSON is inspect's own, with one key added.
        var inspected = try object(json.stdout)
        let withoutEdits = inspected.filter { $0.key != "edits" }
        #expect(NSDictionary(dictionary: withoutEdits) == NSDictionary(dictionary: try object(plain.stdout)))

        let target = dir.file("kvm.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", image, target])
        #expect(copied.status == 0, "\(copied.stderr)")
        let fixed = try await Xen2KVMBinary.run(["fix", "--dry-run", "--json"] + fixing + [target])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        inspected = try #require(inspected["edits"] as? [String: Any], "\(json.stdout)")
        return (inspected, text.stdout, try object(fixed.stdout))
    }

    /// Each text diff fix --dry-run prints is in inspect --edits' text, in the same order.
    static func expectSameDiffs(_ text: String, _ fixed: [String: Any]) {
        var rest = Substring(text)
        for edit in (fixed["edits"] as? [[String: Any]]) ?? [] {
            guard let diff = edit["diff"] as? String, let found = rest.range(of: diff) else {
                Issue.record("inspect --edits does not print the diff of \(edit["file"] ?? "?"):\n\(text)")
                continue
            }
            rest = rest[found.upperBound...]
        }
    }

    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "setpriv"]), arguments: GoldenEditTests.guests)
    func inspectPlansWhatFixPlansOnTheConvertedDisk(guest: GoldenEditTests.Guest) async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree(guest.fixture), at: image, type: "ext3")
        let (inspected, text, fixed) = try await Self.inspectAndFix(image, in: dir)

        #expect(inspected["notPlanned"] == nil, "\(inspected)")
        #expect(inspected["profile"] as? String == guest.profile)
        #expect(fixed["profile"] as? String == guest.profile)
        #expect(inspected["partitionTable"] as? String == "mbr")
        #expect(inspected["deviceMap"] as? [String: String] == ["xvdb": "vdb"])
        let planned = try Self.edits(inspected["edits"])
        #expect(!planned.isEmpty)
        #expect(planned == (try Self.edits(fixed["edits"])))
        Self.expectSameDiffs(text, fixed)
        #expect(text.contains("assumed    convert's defaults: mbr partition table, xvdb→vdb"), "\(text)")
    }

    /// A partitioned Xen disk: inspect plans from the root partition at its offset, with the
    /// names convert's clone keeps (xvda → vda, the source's own table). A `fix` of the copy on
    /// its own cannot know it was cloned: convert hands it that map, as `--map` does here.
    @Test(.requires(root: true, tools: ["mke2fs", "sfdisk", "losetup", "setpriv"]))
    func aPartitionedSourceIsPlannedFromItsRootPartition() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("disk.img")
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        #expect(truncate(image, 80 << 20) == 0)
        try await Command.check(
            "sh", ["-c", "echo 'label: dos\nstart=2048, size=131072, type=83' | sfdisk -q \(image)"])
        try await Fixtures.makeImage(
            from: Fixtures.tree("debian12-grub2"), at: image, size: "65536", extraOptions: ["-E", "offset=1048576"])
        let (inspected, text, fixed) = try await Self.inspectAndFix(image, in: dir, fixing: ["--map", "xvda=vda"])

        #expect(inspected["notPlanned"] == nil, "\(inspected)")
        #expect(text.contains("/dev/xvda2 → /dev/vda2"), "\(text)")
        #expect(inspected["deviceMap"] as? [String: String] == ["xvda": "vda", "xvdb": "vdb"])
        let planned = try Self.edits(inspected["edits"])
        #expect(!planned.isEmpty)
        #expect(planned == (try Self.edits(fixed["edits"])))
        Self.expectSameDiffs(text, fixed)
    }

    /// A partitioned disk whose guest is not in partition 1: convert copies it unchanged, and
    /// inspect says so instead of planning edits.
    @Test(.requires(tools: ["mke2fs", "sfdisk"]))
    func aGuestOutsidePartitionOneIsNotPlanned() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("disk.img")
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        #expect(truncate(image, 100 << 20) == 0)
        try await Command.check(
            "sh",
            ["-c", "echo 'start=2048, size=16384, type=82\nstart=18432, size=131072, type=83' | sfdisk -q \(image)"])
        try await Fixtures.makeImage(
            from: Fixtures.tree("centos6"), at: image, size: "65536", extraOptions: ["-E", "offset=\(18432 * 512)"])
        let result = try await Xen2KVMBinary.run(["inspect", "--edits", "--json", image])
        #expect(result.status == 0, "\(result.stderr)")
        let edits = try #require(try Self.object(result.stdout)["edits"] as? [String: Any])
        #expect((edits["notPlanned"] as? String)?.contains("partition 2") == true, "\(edits)")
        #expect(try Self.edits(edits["edits"]).isEmpty)
    }

    /// A guest convert would not fix says why, and plans nothing.
    @Test(.requires(tools: ["mke2fs"]))
    func onlyXenKernelsPlansNothingAndSaysWhy() async throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree("centos5"), toPath: tree)
        for file in ["vmlinuz", "config", "initrd"] {
            let name = file == "initrd" ? "initrd-2.6.18-419.el5.img" : "\(file)-2.6.18-419.el5"
            try FileManager.default.removeItem(atPath: "\(tree)/boot/\(name)")
        }
        let image = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: image, type: "ext3")
        let result = try await Xen2KVMBinary.run(["inspect", "--edits", "--json", image])
        #expect(result.status == 0, "\(result.stderr)")
        let edits = try #require(try Self.object(result.stdout)["edits"] as? [String: Any])
        #expect((edits["notPlanned"] as? String)?.contains("yum install kernel") == true, "\(edits)")
        #expect(try Self.edits(edits["edits"]).isEmpty)
    }
}
