import ArgumentParser
import FoundationEssentials
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

            Examples:
              xen2kvm inspect /dev/vg0/xen-web01-disk
              xen2kvm inspect web01.img --json
            """)

    @Argument(help: "The Xen guest disk: an image file or a block device.")
    var source: String

    @Flag(help: "Print one JSON object instead of the report.")
    var json = false

    @OptionGroup var log: LogOptions

    func run() async throws { try await log.run(inspect) }

    private func inspect() async throws {
        // In a contained child: a hostile image may crash or hang the parsers (ParserChild).
        let answer: ParseImageCommand.InspectAnswer
        do {
            answer = try await ParserChild.run(["inspect", source], answer: ParseImageCommand.InspectAnswer.self)
        } catch {
            ErrorOutput.print(error.description)
            throw ExitCode(1)
        }
        let report: InspectionReport
        switch answer {
        case .value(let value): report = value
        case .problem(let text):
            ErrorOutput.print(text)
            throw ExitCode(1)
        }
        let guest = report.guest.map { " \($0.distro) \($0.version)," } ?? ""
        Log.info("inspected \(source):\(guest) \(report.readiness.rawValue)")
        for finding in report.findings {
            Log.info("finding \(finding.severity.rawValue) \(finding.code): \(finding.message)")
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(InspectionText.render(report), terminator: "")
        }
    }
}
