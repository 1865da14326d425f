import ArgumentParser
import FoundationEssentials
import GuestFixes
import HostSystem
import Inspection

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Report what a Xen guest disk holds and what it needs before it can boot under KVM.",
        discussion: """
            Reads SOURCE through libblkid and libext2fs without mounting it and without writing a \
            byte: the filesystem (size, used and free space, the minimum it can shrink to, state), \
            the guest (distribution, kernels and whether each is Xen-only or has virtio, the \
            bootloader config, fstab) and findings, each with a severity and a stable code:
              blocker  must be solved by you before converting (e.g. only-xen-kernels)
              warning  a Xen-ism that `convert` will fix (e.g. xvd-in-fstab, xen-console)
              info     worth knowing
            Needs no root for an image file you can read.

            --edits adds the changes `convert` would write into the guest, planned by the same \
            edits `fix` runs from the unmounted image (still no root, no mount, nothing \
            written): each file with its unified diff, as `fix --dry-run` prints them. \
            Inspection cannot know convert's options, so it assumes its defaults and says \
            which (partition table, device map, profile).

            Examples:
              xen2kvm inspect /dev/vg0/xen-web01-disk
              xen2kvm inspect web01.img --json
              xen2kvm inspect web01.img --edits
            """)

    @Argument(help: "The Xen guest disk: an image file or a block device.")
    var source: String

    @Flag(help: "Print one JSON object instead of the report.")
    var json = false

    @Flag(help: "Also show the diffs convert would write into the guest (with its default options).")
    var edits = false

    @OptionGroup var log: LogOptions

    func run() async throws { try await log.run(inspect) }

    private func inspect() async throws {
        // In a contained child: a hostile image may crash or hang the parsers (ParserChild).
        let output: InspectOutput
        do {
            if edits {
                output = try Self.value(
                    await ParserChild.run(["edits", source], answer: ParseImageCommand.EditsAnswer.self))
            } else {
                output = InspectOutput(
                    report: try Self.value(
                        await ParserChild.run(["inspect", source], answer: ParseImageCommand.InspectAnswer.self)),
                    edits: nil)
            }
        } catch {
            ErrorOutput.print(error.description)
            throw ExitCode(1)
        }
        let report = output.report
        let guest = report.guest.map { " \($0.distro) \($0.version)," } ?? ""
        Log.info("inspected \(source):\(guest) \(report.readiness.rawValue)")
        for finding in report.findings {
            Log.info("finding \(finding.severity.rawValue) \(finding.code): \(finding.message)")
        }
        if let preview = output.edits {
            for edit in preview.edits {
                Log.info("would edit \(edit.file) (\(edit.edit)): \(edit.changes.joined(separator: "; "))")
            }
        }
        if json {
            try JSONOutput.print(output)
        } else {
            print(InspectionText.render(report) + (output.edits.map(InspectionText.render) ?? ""), terminator: "")
        }
    }

    /// The child's value, or the problem it reported as the error.
    private static func value<Value>(_ answer: ParserChild.Answer<Value, String>) throws(ParserChildFailure) -> Value {
        switch answer {
        case .value(let value): return value
        case .problem(let text): throw .failed(text)
        }
    }
}
