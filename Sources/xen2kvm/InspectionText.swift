import GuestFixes
import Inspection

/// The human-readable inspection report.
enum InspectionText {
    static func render(_ report: InspectionReport) -> String {
        var out = ""
        func line(_ text: String = "") { out += text + "\n" }
        let source = report.source
        line(
            "Source       \(source.path) (\(source.kind == .blockDevice ? "block device" : "image file"), \(bytes(source.sizeBytes)))"
        )
        var found: [String] = []
        if let type = source.type { found.append("TYPE=\(type)") }
        if let uuid = source.uuid { found.append("UUID=\(uuid)") }
        if let label = source.label, !label.isEmpty { found.append("LABEL=\(label)") }
        if let table = source.partitionTable { found.append("PTTYPE=\(table)") }
        line("blkid        \(found.isEmpty ? "nothing recognised" : found.joined(separator: " "))")
        for partition in source.partitions {
            line(
                "  partition \(partition.number): start \(partition.startSector), \(partition.sectors) sectors, type \(partition.type)"
            )
        }

        if let fs = report.filesystem {
            line()
            line(
                "Filesystem   \(fs.type), \(bytes(fs.sizeBytes)) in \(fs.blockCount) blocks of \(fs.blockSize) bytes"
                    + (fs.offsetBytes > 0 ? " at byte \(fs.offsetBytes)" : ""))
            line(
                "  used       \(bytes(fs.usedBytes)), free \(bytes(fs.freeBytes)); can shrink to about \(bytes(fs.minimumBytes))"
            )
            line(
                "  state      \(fs.state == .clean ? "clean" : "needs fsck: " + fs.stateReasons.joined(separator: ", "))"
            )
            line(
                "  journal    \(fs.hasJournal ? "yes" : "no"); last mounted on \(fs.lastMountPoint.isEmpty ? "(never recorded)" : fs.lastMountPoint)"
            )
            line("  label      \(fs.label.isEmpty ? "(none)" : fs.label), UUID \(fs.uuid)")
            line("  features   \(fs.features.joined(separator: " "))")
        }

        if let guest = report.guest {
            line()
            line(
                "Guest        \(guest.distro) \(guest.version)"
                    + (guest.prettyName.isEmpty ? "" : " (\(guest.prettyName))"))
            line(
                "  bootloader \(guest.bootloader.rawValue)"
                    + (guest.bootloaderConfigs.isEmpty ? "" : ": " + guest.bootloaderConfigs.joined(separator: ", ")))
            if guest.kernels.isEmpty { line("  kernels    none in /boot") }
            for kernel in guest.kernels {
                var notes = [kernel.xenOnly ? "Xen-only" : "boots on KVM", kernel.virtio ? "virtio" : "no virtio"]
                if let has = kernel.initrdHasVirtio {
                    notes.append(has ? "initrd has virtio" : "initrd without virtio")
                }
                line("  kernel     \(kernel.version): \(notes.joined(separator: ", "))")
            }
            for entry in guest.fstab {
                line("  fstab      \(entry.device) \(entry.mountPoint) \(entry.type) \(entry.options)")
            }
        }

        line()
        line("Findings     \(report.findings.isEmpty ? "none" : "")")
        for finding in report.findings {
            line("  \(finding.severity.rawValue.uppercased().padding(8)) \(finding.code): \(finding.message)")
        }
        line()
        switch report.readiness {
        case .ready: line("Verdict      ready: nothing Xen-specific found")
        case .fixable: line("Verdict      fixable: convert can move this guest to KVM and fix what is listed")
        case .blocked: line("Verdict      blocked: solve the blockers above before converting")
        }
        return out
    }

    /// `inspect --edits`: what convert would write, listed and diffed as `fix --dry-run` does.
    static func render(_ preview: EditPreview) -> String {
        let map = preview.deviceMap.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }
        var out = "\nEdits        what convert would write (nothing is written), profile \(preview.profile)\n"
        out +=
            "  assumed    convert's defaults: \(preview.partitionTable) partition table, \(map.joined(separator: " ")), "
            + (preview.runsGuestPrograms ? "the guest helper runs after the edits" : "no guest helper runs") + "\n"
        if let reason = preview.notPlanned {
            out += "  not planned: \(reason)\n"
            return out
        }
        if preview.edits.isEmpty { out += "  no file needs a change\n" }
        for edit in preview.edits {
            out += "  \(edit.edit): \(edit.file)\n"
            for line in edit.changes { out += "      \(line)\n" }
        }
        for edit in preview.edits { out += "\n" + (edit.diff ?? "") }
        return out
    }

    static func bytes(_ value: UInt64) -> String { ByteCount.text(value) }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
