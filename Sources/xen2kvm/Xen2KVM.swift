import ArgumentParser

@main
struct Xen2KVM: AsyncParsableCommand {
    /// Printed by --version and at the head of every --log record: which build did what.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "xen2kvm",
        abstract: "Move powered-off Xen PV Linux guests to KVM, offline.",
        discussion: """
            xen2kvm reads a Xen guest's disk (an image file or a block device such as an LVM volume) \
            without mounting it and never writes it: the source is always opened read-only. \
            `inspect` tells what the guest needs; `convert` builds the partitioned KVM disk and fixes \
            the guest; `fix` fixes an already converted disk; `boot-check` boots it under QEMU.

            Examples:
              xen2kvm inspect /dev/vg0/xen-web01-disk
              xen2kvm inspect web01.img --json | jq .findings
              xen2kvm convert /dev/vg0/xen-web01-disk web01-kvm.img --dry-run
              xen2kvm convert /dev/vg0/xen-web01-disk /dev/vg1/kvm-web01 --dos-compat
              xen2kvm fix web01-kvm.img --dry-run
              xen2kvm boot-check web01-kvm.img

            Exit status: 0 done; 1 failed (inspect: the source cannot be read or is not a \
            Linux disk; boot-check: no login prompt); 2 refused, nothing written; 130 \
            interrupted; 64 bad usage.
            """,
        version: version,
        subcommands: [
            InspectCommand.self, ConvertCommand.self, FixCommand.self, BootCheckCommand.self, MigrateCommand.self,
            FleetCommand.self,
            ParseImageCommand.self, SendCommand.self,
        ])
}
