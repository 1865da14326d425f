/// The login console, for sysvinit guests (CentOS 5, Debian 7 and older).
///
/// Xen's console (`xvc0` on EL5 kernels, `hvc0` on pvops kernels) does not exist under KVM,
/// where the console to watch is the first serial port.
///
/// - /etc/inittab: a getty on xvc0/hvc0 (`co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav`,
///   `hvc0:2345:respawn:/sbin/getty 38400 hvc0`) runs on ttyS0 at 115200 baud instead, with the
///   same program and options (`S0:2345:respawn:/sbin/agetty ttyS0 115200 vt100-nav`). When the
///   inittab already runs a getty on ttyS0, the Xen one is commented out (`# xen2kvm: …`).
/// - /etc/securetty gains `ttyS0` if it lacks it, so root may log in there; the hvc0/xvc0 lines
///   stay (harmless, and right again should the guest go back to Xen).
///
/// Upstart (CentOS 6) and systemd (CentOS 7, Debian 8+) guests need nothing here: they start a
/// getty on the console the kernel names, and the bootloader edits set `console=ttyS0,115200`.
/// A leftover `serial-getty@hvc0.service` link only waits for a device that never appears.
public struct ConsoleEdit: GuestEdit {
    public let name = "console"
    public init() {}

    static let inittab = "/etc/inittab"
    static let securetty = "/etc/securetty"
    static let xenConsoles: Set<String> = ["xvc0", "hvc0", "/dev/xvc0", "/dev/hvc0"]

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        try rewrite(Self.inittab, in: root, Self.editInittab) + rewrite(Self.securetty, in: root, Self.editSecuretty)
    }

    /// An inittab entry, `id:runlevels:action:process`.
    struct Entry {
        var id: String
        var rest: String
        var process: String

        init?(_ line: String) {
            guard !TextLines.isCommentOrBlank(line) else { return nil }
            let fields = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4 else { return nil }
            id = String(fields[0])
            rest = fields[1] + ":" + fields[2]
            process = String(fields[3])
        }

        /// The program's words when it is a getty (agetty, mingetty, getty, …).
        var gettyWords: Words? {
            let words = Words(process)
            guard let program = words.tokens.first?.word, program.split(separator: "/").last?.contains("getty") == true
            else { return nil }
            return words
        }

        var isSerialGetty: Bool {
            gettyWords?.words.contains { $0 == "ttyS0" || $0 == "/dev/ttyS0" } ?? false
        }
    }

    static func editInittab(_ text: String) -> (text: String, summary: [String]) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        let entries = lines.map(Entry.init)
        var ids = Set(entries.compactMap { $0?.id })
        let hasSerialGetty = entries.contains { $0?.isSerialGetty == true }
        summary += enableScreenGettys(&lines, entries: entries)
        for index in lines.indices {
            guard let entry = entries[index], var words = entry.gettyWords,
                let device = words.tokens.indices.first(where: { xenConsoles.contains(words.tokens[$0].word) })
            else { continue }
            let xenDevice = words.tokens[device].word
            if hasSerialGetty {
                lines[index] = TextLines.commentedOut(lines[index])
                summary.append("line \(index + 1): commented out the getty on \(xenDevice): one runs on ttyS0 already")
                continue
            }
            words.tokens[device].word = xenDevice.hasPrefix("/dev/") ? "/dev/ttyS0" : "ttyS0"
            // Baud rates ("9600", "38400,9600") become 115200, the speed the kernel console uses.
            for token in words.tokens.indices.dropFirst()
            where isBaudRate(words.tokens[token].word) && !optionsWithValues.contains(words.tokens[token - 1].word) {
                words.tokens[token].word = "115200"
            }
            ids.remove(entry.id)
            let id = ["S0", "T0", "s0", "t0"].first { !ids.contains($0) } ?? entry.id
            ids.insert(id)
            lines[index] = id + ":" + entry.rest + ":" + words.text
            summary.append("line \(index + 1): getty on \(xenDevice) → ttyS0 at 115200 (\(lines[index]))")
        }
        return (TextLines.join(lines), summary)
    }

    /// XenServer/XCP guests have their screen gettys (tty1–tty6) commented out: under Xen only
    /// the Xen console existed. Under KVM the screen exists again, so they run again, unless a
    /// getty on the same tty runs already.
    static func enableScreenGettys(_ lines: inout [String], entries: [Entry?]) -> [String] {
        var running = Set(entries.compactMap { $0?.gettyWords?.words.first(where: isScreenTTY) })
        var summary: [String] = []
        for index in lines.indices where entries[index] == nil {
            let trimmed = TextLines.trimmedStart(lines[index])
            guard trimmed.hasPrefix("#") else { continue }
            let uncommented = String(trimmed.drop { $0 == "#" || $0 == " " })
            guard let entry = Entry(uncommented), let words = entry.gettyWords,
                let tty = words.words.first(where: { isScreenTTY($0) }), !running.contains(tty)
            else { continue }
            running.insert(tty)
            lines[index] = uncommented
            summary.append("line \(index + 1): the getty on \(tty) runs again (the screen exists under KVM)")
        }
        return summary
    }

    /// tty1 … tty6 (with or without /dev/).
    static func isScreenTTY(_ word: String) -> Bool {
        let name = word.hasPrefix("/dev/") ? word.dropFirst(5) : Substring(word)
        return name.count == 4 && name.hasPrefix("tty") && ("1"..."6").contains(name.last.map(String.init) ?? "")
    }

    static let baudRates: Set<Substring> = [
        "50", "75", "110", "134", "150", "200", "300", "600", "1200", "1800", "2400", "4800", "9600", "19200",
        "38400", "57600", "115200", "230400", "460800", "921600",
    ]
    /// getty options whose value is a separate word (`-t 60` is a timeout, not a speed).
    static let optionsWithValues: Set<String> = [
        "-t", "--timeout", "-I", "--init-string", "-f", "--issue-file", "-l", "--login-program", "-o",
        "--login-options", "-H", "--host", "-a", "--autologin", "-r", "--chroot", "-d", "--delay", "-P", "--chdir",
        "--nice", "--erase-chars", "--kill-chars",
    ]

    /// "9600", or a list agetty tries in turn, "38400,9600".
    static func isBaudRate(_ word: String) -> Bool {
        let rates = word.split(separator: ",", omittingEmptySubsequences: false)
        return rates.allSatisfy { baudRates.contains($0) }
    }

    static func editSecuretty(_ text: String) -> (text: String, summary: [String]) {
        let names = TextLines.split(text).map { $0.trimmingBlanks() }
        guard !names.contains("ttyS0") && !names.contains("/dev/ttyS0") else { return (text, []) }
        return (TextLines.appending(["ttyS0"], to: text), ["added ttyS0: root may log in on the serial console"])
    }
}
