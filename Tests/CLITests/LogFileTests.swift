import Foundation
import TestSupport
import Testing

/// `--log FILE` keeps a record of what a run did to which disk; `--verbose` shows its main
/// lines on stderr. Neither changes what stdout carries.
@Suite struct LogFileTests {
    static func source(_ dir: TemporaryDirectory, _ fixture: String = "centos6") async throws -> String {
        let image = dir.file("source.img")
        try await Fixtures.makeImage(from: Fixtures.tree(fixture), at: image, size: "64M")
        return image
    }

    /// Every record starts with a UTC timestamp and a level; continuation lines (a command's
    /// output) are marked with "|".
    static func expectWellFormed(_ log: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for line in log.split(separator: "\n") {
            let record = line.wholeMatch(
                of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|debug|warning|error) +\S.*/#)
            #expect(
                record != nil || line.wholeMatch(of: #/ +\| .*/#) != nil, "malformed log line: \(line)",
                sourceLocation: sourceLocation)
        }
    }

    /// A run's record names the disks, the method and layout, every command with its exit
    /// status and output, and how it ended; a second run appends its own record, refusal
    /// included.
    @Test(.requires(tools: ["mke2fs", "e2fsck"]))
    func convertRecordsTheRunAndAppends() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let target = dir.file("kvm.img")
        let log = dir.file("web01.log")
        let run = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", "--log", log, source, target])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty && run.stderr.isEmpty, "--log printed: \(run.stdout)\(run.stderr)")

        let first = try String(contentsOfFile: log, encoding: .utf8)
        Self.expectWellFormed(first)
        for phrase in [
            "info    started: xen2kvm convert --no-fix --quiet --log \(log) \(source) \(target) (version ",
            "info    converting \(source) (file, 67108864 bytes, ext4",
            "info    method blocks: ", "info    layout mbr, partition 1 at sector 2048, 131072 sectors",
            "debug   check ok target holds no data", "info    copying used blocks: ",
            // e2fsck checks partition 1 through an offset loop device.
            "info    attached \(target) to /dev/loop", "(offset 1048576, 67108864 bytes, read-only)",
            "info    ran e2fsck -fn /dev/loop",
            "| Pass 5: Checking group summary information", "info    writing the mbr partition table",
            "info    converted: ", "e2fsck -fn clean", "info    finished: exit 0",
        ] {
            #expect(first.contains(phrase), "the log lacks \"\(phrase)\":\n\(first)")
        }

        let refused = try await Xen2KVMBinary.run(["convert", "--no-fix", "--log", log, source, target])
        #expect(refused.status == 2)
        let both = try String(contentsOfFile: log, encoding: .utf8)
        #expect(both.hasPrefix(first), "the second run did not append")
        let second = String(both.dropFirst(first.count))
        Self.expectWellFormed(second)
        #expect(second.contains("error   refused: \(target) holds partition table dos"), "\(second)")
        #expect(second.hasSuffix("info    finished: exit 2\n"), "\(second)")
    }

    /// inspect puts its verdict and findings in the guest's record, ahead of its conversion.
    @Test(.requires(tools: ["mke2fs"]))
    func inspectRecordsTheVerdict() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir, "centos5")
        let log = dir.file("web01.log")
        let run = try await Xen2KVMBinary.run(["inspect", "--json", "--log", log, source])
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        Self.expectWellFormed(text)
        for phrase in [
            "info    inspected \(source): centos 5.11, fixable", "info    finding warning xvd-in-fstab: ",
            "info    finished: exit 0",
        ] {
            #expect(text.contains(phrase), "the log lacks \"\(phrase)\":\n\(text)")
        }
    }

    /// --verbose: the main lines on stderr as the run goes, not the commands' output, and
    /// stdout stays one JSON object.
    @Test(.requires(tools: ["mke2fs", "e2fsck"]))
    func verboseGoesToStderr() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let run = try await Xen2KVMBinary.run(["convert", "--no-fix", "--json", "--verbose", source, dir.file("k.img")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) is [String: Any], "\(run.stdout)")
        #expect(run.stderr.contains("xen2kvm: ran e2fsck -fn "), "\(run.stderr)")
        #expect(run.stderr.contains("xen2kvm: finished: exit 0"), "\(run.stderr)")
        #expect(!run.stderr.contains("Pass 1"), "command output belongs in the log file only: \(run.stderr)")

        let quiet = try await Xen2KVMBinary.run(["convert", "--no-fix", "--json", source, dir.file("q.img")])
        #expect(quiet.stderr.isEmpty, "no --verbose, yet stderr has: \(quiet.stderr)")
    }

    /// A log that cannot be written stops the run before anything happens: a record promised
    /// and not kept is worse than none.
    @Test(.requires(tools: ["mke2fs"]))
    func unwritableLogStopsBeforeAnything() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir)
        let target = dir.file("kvm.img")
        let run = try await Xen2KVMBinary.run(["convert", "--log", dir.file("no/such/dir.log"), source, target])
        #expect(run.status == 64)
        #expect(run.stderr.contains("cannot write the log file"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// fix: the guest files edited, the user's helper with its device, exit status and
    /// output, and the loop device released.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func fixRecordsEditsHelpersAndRelease() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.source(dir, "centos5")
        let target = dir.file("kvm.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, target])
        #expect(copied.status == 0, "\(copied.stderr)")
        let helper = dir.file("helper.sh")
        try "#!/bin/sh\necho \"helper saw $1\"\n".write(toFile: helper, atomically: true, encoding: .utf8)
        #expect(chmod(helper, 0o755) == 0)
        let log = dir.file("fix.log")

        let run = try await Xen2KVMBinary.run(["fix", "--edits-only", "--helper", helper, "--log", log, target])
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        Self.expectWellFormed(text)
        let device = try #require(text.firstMatch(of: #/ran \S+helper\.sh (/dev/loop\d+): exit 0/#)?.1, "\(text)")
        for phrase in [
            "info    fixing the guest on \(target) (\(device)): centos 5", "info    edited /etc/fstab (fstab): ",
            "| helper saw \(device)", "info    released \(device) and its mounts", "info    finished: exit 0",
        ] {
            #expect(text.contains(phrase), "the log lacks \"\(phrase)\":\n\(text)")
        }
    }
}
