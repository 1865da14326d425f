import Inspection
import XenDefinition

/// The text report of `migrate --dry-run`.
enum MigrateText {
    static func render(_ definition: XenDefinition) -> String {
        let guest = definition.guest
        var lines: [String] = []
        lines.append("Guest (\(definition.form.rawValue))")
        lines.append("  name     \(guest.name ?? "-")")
        lines.append("  uuid     \(guest.uuid ?? "-")")
        lines.append("  type     \(guest.type.rawValue)")
        let memory = guest.memoryMiB.map { "\($0) MiB" } ?? "-"
        lines.append("  memory   \(memory) (max \(guest.maxMemoryMiB.map { "\($0) MiB" } ?? "-"))")
        lines.append("  vcpus    \(guest.vcpus) (max \(guest.maxVcpus))")
        lines.append(
            "  actions  poweroff \(guest.onPoweroff.rawValue), reboot \(guest.onReboot.rawValue), "
                + "crash \(guest.onCrash.rawValue)")
        let boot = guest.boot
        let bootWhat = boot.bootloader ?? boot.kernel ?? "-"
        lines.append("  boot     \(boot.method.rawValue) \(bootWhat)\(boot.commandLine.map { " (\($0))" } ?? "")")
        lines.append("Disks")
        for disk in guest.disks {
            let prefix = disk.prefix.map { "\($0):" } ?? ""
            lines.append(
                "  \(disk.vdev)  \(prefix)\(disk.target)  \(disk.format) \(disk.access.rawValue) \(disk.kind.rawValue)")
        }
        lines.append("Interfaces")
        for interface in guest.interfaces {
            let generated = interface.macGenerated ? " (generated)" : ""
            lines.append("  \(interface.mac)\(generated)  bridge \(interface.bridge)")
        }
        lines.append("Device map (root: \(definition.deviceMap.rootReason))")
        for entry in definition.deviceMap.entries {
            let assumed = entry.contentAssumed ? ", assumed" : ""
            lines.append("  \(entry.xen) → \(entry.kvm)  (\(entry.content.rawValue)\(assumed))")
        }
        lines.append("Findings")
        for finding in definition.findings {
            let place = finding.file.map { "\($0): " } ?? ""
            lines.append("  \(finding.severity.rawValue) \(finding.code): \(place)\(finding.message)")
        }
        lines.append("Verdict: \(definition.readiness.rawValue)")
        return lines.joined(separator: "\n") + "\n"
    }
}
