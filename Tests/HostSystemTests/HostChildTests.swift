import Foundation
import Testing

@testable import HostSystem

/// Host programs as xen2kvm runs them: all of their output read, however much, and never
/// killed while xen2kvm lives.
@Suite struct HostChildTests {
    /// e2fsck on a damaged copy can print megabytes: the run still reports the tool's own exit
    /// status and last lines (an output limit used to turn it into "cannot run e2fsck").
    @Test func aToolPrintingMegabytesIsReadWhole() async throws {
        let script = "head -c 3000000 /dev/zero | tr '\\\\0' x | fold -w 99; echo last line >&2; exit 3"
        let result = try await HostTool.run("sh", ["-c", script], package: "dash")
        #expect(result.status == 3)
        #expect(result.tail.hasSuffix("last line"), "\(result.tail.suffix(200))")
        #expect(result.tail.split(separator: "\n").count == 12)
    }

    /// A missing tool is named as one to install, not reported as the tool failing.
    @Test func aMissingToolSaysWhichPackage() async {
        await #expect {
            _ = try await HostTool.run("xen2kvm-no-such-tool", [], package: "nothing")
        } throws: { error in
            "\(error)".contains("cannot run xen2kvm-no-such-tool (Debian package nothing)")
        }
    }

    /// The death signal is tied to the thread that forked the child: a child started after the
    /// thread pool has been idle (when idle threads may be retired) must live on while
    /// xen2kvm does (swift-subprocess forks on a thread that lives as long as the process).
    @Test func aChildStartedAfterAnIdleSpellLivesOn() async throws {
        try await Task.sleep(for: .seconds(6))
        let started = ContinuousClock.now
        let result = try await HostTool.run("sleep", ["7"], package: "coreutils")
        #expect(result.status == 0, "the child was killed after \(ContinuousClock.now - started)")
    }
}
