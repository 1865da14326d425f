import Foundation
import TestSupport
import Testing

/// What an operator sees from a real run: the plan and a closing summary on stdout; progress on
/// stderr (a redrawn bar on a terminal, plain lines in a log); nothing with --quiet; one JSON
/// object with --json.
@Suite struct ConvertOutputTests {
    static func convert(_ arguments: [String], _ source: String, _ target: String) async throws -> CommandResult {
        let run = try await Xen2KVMBinary.run(["convert", "--no-fix"] + arguments + [source, target])
        #expect(run.status == 0, "\(run.stderr)")
        return run
    }

    /// Not a terminal (a pipe, a log file): the summary names method, layout, bytes, time,
    /// throughput and the fsck verdict; each step is a plain line, without escape codes.
    @Test(.requires(tools: ["mke2fs", "e2fsck"]))
    func summaryAndPlainProgressLines() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("kvm.img")
        let run = try await Self.convert([], source, target)

        let summary = try #require(run.stdout.components(separatedBy: "Done\n").last)
        for line in [
            "  method   blocks\n", "  layout   mbr, partition 1 at sector 2048 (64.0 MiB), disk 65.0 MiB\n",
            "  fsck     e2fsck -fn: clean\n", "  target   \(target)\n",
        ] {
            #expect(summary.contains(line), "summary lacks \(line): \(run.stdout)")
        }
        #expect(
            summary.contains(
                #/\n  copied   [0-9.]+ [KM]iB \([0-9.]+ [KM]iB written\) in [0-9.]+ s, [0-9.]+ [KMG]iB/s\n/#))

        let steps = run.stderr.split(separator: "\n").map(String.init)
        #expect(steps.first?.hasPrefix("copying used blocks: ") == true, "\(run.stderr)")
        #expect(steps.contains { $0.hasPrefix("copying used blocks [") && $0.contains("] 100% ") }, "\(run.stderr)")
        #expect(steps.contains("checking the copy with e2fsck -fn"))
        #expect(steps.last == "writing the mbr partition table", "\(run.stderr)")
        #expect(!run.stderr.contains("\u{1B}") && !run.stderr.contains("\r"), "escape codes in a log: \(run.stderr)")
    }

    /// On a terminal the bar is redrawn in place (carriage return, erase line) with bytes done,
    /// throughput and ETA, and ends on a full bar. `script` gives the run a pseudo-terminal.
    @Test(.requires(tools: ["mke2fs", "e2fsck", "script"]))
    func terminalGetsARedrawnBar() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let command = [Xen2KVMBinary.path, "convert", "--no-fix", source, dir.file("kvm.img")].joined(separator: " ")
        let run = try await Command.run("script", ["-q", "-e", "-c", command, "/dev/null"])
        #expect(run.status == 0, "\(run.stdout)")
        let bar = "\r\u{1B}[Kcopying used blocks [##############################] 100% "
        #expect(run.stdout.contains(bar), "no full bar redrawn in place: \(run.stdout.debugDescription)")
        #expect(run.stdout.contains(#/100% [0-9.]+ [KM]iB/[0-9.]+ [KM]iB [0-9.]+ [KMG]iB/s ETA 0s/#))
        #expect(!run.stdout.contains("copying used blocks: "), "the log line is for non-terminals only")
    }

    @Test(.requires(tools: ["mke2fs", "e2fsck"]))
    func quietPrintsNothing() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let run = try await Self.convert(["--quiet"], source, dir.file("kvm.img"))
        #expect(run.stdout.isEmpty && run.stderr.isEmpty, "\(run.stdout)\(run.stderr)")
        #expect(Harness.exists(dir.file("kvm.img")))
    }

    /// --json: stdout is one object with the plan and the result, and no progress anywhere.
    @Test(.requires(tools: ["mke2fs", "e2fsck"]))
    func jsonResultOfARealRun() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage("debian12-grub2", in: dir)
        let run = try await Self.convert(["--json"], source, dir.file("kvm.img"))
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect((object?["plan"] as? [String: Any])?["method"] as? String == "blocks")
        let result = try #require(object?["result"] as? [String: Any])
        #expect(result["method"] as? String == "blocks")
        #expect((result["fsck"] as? [String: Any])?["clean"] as? Bool == true)
        #expect((result["bytesCopied"] as? Int ?? 0) > 0)
        #expect(run.stderr.isEmpty, "JSON mode printed progress: \(run.stderr)")
    }
}
