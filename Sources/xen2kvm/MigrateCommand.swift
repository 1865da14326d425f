import ArgumentParser
import FoundationEssentials
import Inspection
import XenDefinition

/// The first piece of `migrate` (issue 14): the guest's Xen definition read and shown, with
/// the device map its disks will get. Nothing else is done yet.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Read a Xen guest's definition and show the KVM guest it would become (--dry-run only, for now).",
        discussion: """
            GUEST is the guest's definition: an xl.cfg, an xm config, the JSON of \
            `xl -N create CFG` or `virsh dumpxml --inactive` XML of a Xen domain; which one is \
            found from the text (--form names it). Nothing in it is run. Prints the guest (memory, \
            vCPUs, disks, NICs, boot), the findings and the device map (xvda1 → vda1, …).

            Examples:
              xen2kvm migrate /etc/xen/web01.cfg --dry-run
              xen2kvm migrate web01.json --dry-run --json
            """)

    @Argument(help: "The guest's Xen definition file.")
    var guest: String

    @Option(help: "The definition's form: xl, xm, xl-json or libvirt-xml (default: found from the text).")
    var form: DefinitionForm?

    @Flag(help: "Only read and print; the only mode there is yet.")
    var dryRun = false

    @Flag(help: "Print one JSON object instead of the report.")
    var json = false

    func run() throws {
        guard dryRun else {
            ErrorOutput.print("migrate only reads the definition for now: run it with --dry-run")
            throw ExitCode(64)
        }
        let text: String
        do {
            text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: guest)), as: UTF8.self)
        } catch {
            ErrorOutput.print("cannot read \(guest): \(error)")
            throw ExitCode(1)
        }
        let definition: XenDefinition
        do {
            definition = try XenDefinitionReader.read(text, form: form, source: guest)
        } catch {
            ErrorOutput.print("\(guest): \(error.description)")
            throw ExitCode(1)
        }
        if json {
            print(definition.stableJSON(), terminator: "")
        } else {
            print(MigrateText.render(definition), terminator: "")
        }
    }
}

extension DefinitionForm: ExpressibleByArgument {}
