/// The module lists an initrd builder always includes, whatever the build host has loaded:
/// SUSE's `INITRD_MODULES` (/etc/sysconfig/kernel, read by mkinitrd) and Arch's `MODULES`
/// (/etc/mkinitcpio.conf). Built in a chroot on the host, an initrd finds nothing of the
/// guest's hardware to detect, so these lists decide whether it can find its disk under KVM.
///
/// - Xen's front-end drivers (`xenblk`, `xen-blkfront`, `xen_netfront`, `xenfs` …) are dropped:
///   the guest put them there for Xen, and under KVM there is nothing for them to drive.
/// - the virtio drivers (`InitrdModulesEdit.virtioModules`) are appended where missing.
///
/// Spacing between the words that stay is kept.
enum ModuleList {
    static func isXen(_ module: String) -> Bool { module.hasPrefix("xen") }

    static func edit(_ value: String) -> (text: String, changes: [String]) {
        var words = Words(value)
        let dropped = words.words.filter(isXen)
        words.tokens.removeAll { isXen($0.word) }
        if let first = words.tokens.indices.first { words.tokens[first].gap = "" }
        let missing = InitrdModulesEdit.virtioModules.filter { !words.words.contains($0) }
        for module in missing { words.tokens.append((words.tokens.isEmpty ? "" : " ", module)) }
        var changes: [String] = []
        if !dropped.isEmpty { changes.append("dropped \(dropped.joined(separator: " ")) (Xen only)") }
        if !missing.isEmpty { changes.append("added \(missing.joined(separator: " "))") }
        return (words.text, changes)
    }

    /// Every assignment of `key` in `text` gets the list edit.
    static func editAssignments(_ key: String, in text: String) -> (text: String, summary: [String]) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices {
            guard var assignment = ShellAssignment(lines[index]), assignment.key == key else { continue }
            let (value, changes) = edit(assignment.value)
            guard !changes.isEmpty else { continue }
            if assignment.open.isEmpty { (assignment.open, assignment.close) = ("\"", "\"") }
            assignment.value = value
            lines[index] = assignment.line
            summary.append("\(key): " + changes.joined(separator: ", ") + ": the initrd finds its disk under KVM")
        }
        return (TextLines.join(lines), summary)
    }
}
