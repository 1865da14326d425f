import Inspection

/// The kernel command-line changes every bootloader edit makes, on the arguments after the
/// kernel image (a grub legacy `kernel` line, a grub2 `linux` line, `GRUB_CMDLINE_LINUX`, a
/// Debian `# kopt=` comment):
///
/// - `root=/dev/xvd…` → `root=/dev/vda1`: the bare root filesystem becomes partition 1 of vda.
/// - any other `key=/dev/xvd…` (`resume=`) goes through the device mapping; when no KVM device
///   takes its place the argument is dropped, since the kernel or initrd would wait for it.
/// - `console=hvc0` / `console=xvc0` (Xen's console, absent under KVM) → `console=tty0
///   console=ttyS0,115200`: messages on the screen and the first serial port, the serial one
///   last so that it is /dev/console (systemd then starts a serial getty there). Words already
///   present are not repeated.
/// - with `ensureSerialConsole` (every kernel line; `GRUB_CMDLINE_LINUX` unless
///   `GRUB_CMDLINE_LINUX_DEFAULT` has it), a command line that names no serial console gets
///   `console=tty0 console=ttyS0,115200` (the words missing of them) at its end: a Xen PV guest
///   always had a console, hvc0 by default even when no file names it, and under KVM the one
///   an operator watches (`virsh console`) is the first serial port.
/// - `xencons=…` (a Xen console driver option) is dropped.
/// - with `keepEthNames` (the guest's network configs name ethN and its udev would name a
///   virtio NIC ens3), `net.ifnames=0 biosdevname=0` is added unless `net.ifnames=` is there.
///
/// Whitespace between the remaining words is kept as it was.
enum KernelArguments {
    static let serialConsoles = XenConsole.kvmArguments

    /// The edited arguments and one phrase per change ("root=/dev/xvda1 → root=/dev/vda1").
    static func edit(
        _ arguments: String, mapping: DeviceMapping, keepEthNames: Bool = false, ensureSerialConsole: Bool = true
    ) -> (
        text: String, changes: [String]
    ) {
        var words = Words(arguments)
        let existing = words.words
        var changes: [String] = []
        var kept: [(gap: String, word: String)] = []
        var pendingGap: String?
        var consoleWritten = false

        func keep(_ gap: String, _ newWords: [String]) {
            let leading = kept.isEmpty ? (pendingGap ?? gap) : gap
            pendingGap = nil
            for (index, word) in newWords.enumerated() {
                kept.append((index == 0 ? leading : " ", word))
            }
        }
        func drop(_ gap: String) {
            if kept.isEmpty && pendingGap == nil { pendingGap = gap }
        }

        for (gap, word) in words.tokens {
            if isXenConsole(word) {
                let added = consoleWritten ? [] : serialConsoles.filter { wanted in !hasConsole(wanted, in: existing) }
                consoleWritten = true
                if added.isEmpty {
                    drop(gap)
                    changes.append("dropped \(word)")
                } else {
                    keep(gap, added)
                    changes.append("\(word) → \(added.joined(separator: " "))")
                }
            } else if word.hasPrefix("xencons=") {
                drop(gap)
                changes.append("dropped \(word)")
            } else if let equals = word.firstIndex(of: "="),
                let xen = XenDeviceName(path: word[word.index(after: equals)...])
            {
                let key = String(word[...equals])
                let target = mapping.argumentPath(key: key, for: xen)
                if let target {
                    keep(gap, [key + target])
                    changes.append("\(word) → \(key)\(target)")
                } else {
                    drop(gap)
                    changes.append("dropped \(word) (\(mapping.whyMissing(xen)))")
                }
            } else {
                keep(gap, [word])
            }
        }
        if keepEthNames && !existing.contains(where: { $0.hasPrefix("net.ifnames=") }) {
            let added = EthInterfaceNames.kernelArguments.filter { wanted in
                !existing.contains { $0.hasPrefix(wanted.prefix { $0 != "=" } + "=") }
            }
            keep(kept.isEmpty ? "" : " ", added)
            changes.append("added \(added.joined(separator: " ")) (the network configs name eth0)")
        }
        if ensureSerialConsole && !consoleWritten && !hasConsole("console=ttyS0", in: existing) {
            let added = serialConsoles.filter { wanted in !hasConsole(wanted, in: existing) }
            keep(kept.isEmpty ? "" : " ", added)
            changes.append(
                "added \(added.joined(separator: " ")) (a Xen guest's console, hvc0, is now the serial port)")
        }
        words.tokens = kept
        return (words.text, changes)
    }

    /// Whether a kernel line's image is a Linux kernel (not memtest86+, which grub also starts
    /// with `linux16`), so its command line gets the serial console.
    static func bootsLinux(image: String) -> Bool { !image.lowercased().contains("memtest") }

    /// Whether the arguments name the serial console, or a Xen console that `edit` turns into it.
    static func namesConsole(_ arguments: String) -> Bool {
        let words = Words(arguments).words
        return hasConsole("console=ttyS0", in: words) || words.contains(where: isXenConsole)
    }

    /// `console=hvc0`, `console=xvc0`, with or without options after a comma.
    static func isXenConsole(_ word: String) -> Bool { XenConsole.isXenConsole(word) }

    /// Whether the command line already names this console (`console=ttyS0` with any options).
    private static func hasConsole(_ wanted: String, in words: [String]) -> Bool {
        let device = wanted.split(separator: ",")[0]
        return words.contains { $0 == device || $0.hasPrefix(device + ",") }
    }
}
