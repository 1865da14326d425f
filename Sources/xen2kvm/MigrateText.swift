import Inspection
import Migration
import XenDefinition

/// The text report of `migrate`: the definition read, the plan, the result.
enum MigrateText {
    static func render(_ plan: MigrationPlan) -> String {
        var lines = [render(plan.definition)]
        lines.append("Disks")
        for disk in plan.disks {
            let method = disk.conversion.map { $0.method.rawValue } ?? disk.askedMethod.rawValue
            lines.append("  \(disk.xen) → \(disk.kvmDisk) (\(disk.kvmName))  \(disk.role.rawValue)  \(method)")
            lines.append("      \(disk.origin ?? disk.source) → \(disk.target.isEmpty ? "(no target)" : disk.target)")
            lines.append("      \(disk.why)")
            // convert's own reason only where it chose (a method migrate asked for is explained above).
            if disk.askedMethod == .auto, let reason = disk.conversion?.methodReason {
                lines.append("      convert: \(reason)")
            }
            if let refusal = disk.refusal { lines.append("      refused: \(refusal)") }
        }
        lines.append("Fix map (the root's fstab, crypttab, resume, grub)")
        for (xen, kvm) in plan.deviceMap.sorted(by: { $0.key < $1.key }) { lines.append("  \(xen) → \(kvm)") }
        lines.append("Dropped Xen settings")
        lines += plan.dropped.isEmpty ? ["  none"] : plan.dropped.map { "  \($0)" }
        if !plan.notes.isEmpty {
            lines.append("Notes")
            lines += plan.notes.map { "  \($0)" }
        }
        if !plan.refusals.isEmpty {
            lines.append("Refused")
            lines += plan.refusals.map { "  \($0)" }
        }
        lines.append("Domain XML (\(plan.xmlPath))")
        return lines.joined(separator: "\n") + "\n" + plan.xml
    }

    static func render(_ result: MigrationResult) -> String {
        var lines = ["Migrated"]
        for disk in result.disks {
            lines.append(
                "  \(disk.xen) → \(disk.target): \(disk.result.method.rawValue), "
                    + "\(ByteCount.text(disk.result.bytesCopied)) copied, \(ByteCount.seconds(disk.result.seconds))")
        }
        if let fixes = result.fixes {
            lines.append(
                "  fixes: profile \(fixes.profile), \(fixes.edits.count) files edited, \(fixes.programs.count) programs run"
            )
            lines += fixes.edits.map { "    \($0.edit): \($0.file)" }
            lines += fixes.warnings.map { "    warning: \($0)" }
        }
        lines.append("  domain XML \(result.xmlPath), checked: \(result.validated.joined(separator: ", "))")
        if let proof = result.bootCheck {
            lines.append(
                "  boot check: \(proof.stage) after \(ByteCount.seconds(proof.seconds, decimals: 0)) "
                    + "(\(proof.accelerator), disks \(proof.disks.joined(separator: ", ")))")
            lines += proof.swaps.map { "    swap \($0) activated" }
            lines.append("    console log \(proof.consoleLog)")
        }
        if let uri = result.defined { lines.append("  defined on \(uri)\(result.started ? " and started" : "")") }
        if let log = result.serialLog { lines.append("  console log \(log) (kept by virtlogd on the libvirt host)") }
        return lines.joined(separator: "\n")
    }

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
        return lines.joined(separator: "\n")
    }
}
