import ArgumentParser

@main
struct Xen2KVM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xen2kvm",
        abstract: "Move powered-off Xen PV Linux guests to KVM, offline.",
        discussion: """
            xen2kvm reads a Xen guest's disk (an image file or a block device such as an LVM volume)
            without mounting or writing it. The source is always opened read-only.

            Examples:
              xen2kvm inspect /dev/vg0/xen-web01-disk
              xen2kvm inspect web01.img --json | jq .findings

            Exit status: 0 done; 1 the source could not be read or is not a Linux disk;
            64 bad command-line usage.
            """,
        subcommands: [InspectCommand.self, ConvertCommand.self])
}
