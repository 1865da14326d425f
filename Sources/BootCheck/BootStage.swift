/// How far a boot got, in order.
public enum BootStage: Int, Sendable, Codable, Comparable, CustomStringConvertible {
    case none = 0
    /// SeaBIOS ran (seen through its serial console).
    case firmware
    /// grub legacy or grub2 took over.
    case bootloader
    /// The bootloader loaded the kernel and handed over.
    case kernel
    /// The initramfs runs.
    case initramfs
    /// The root filesystem is mounted / init started.
    case rootMounted
    /// A login prompt on the serial console: the guest boots.
    case login

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .none: return "nothing"
        case .firmware: return "firmware"
        case .bootloader: return "bootloader"
        case .kernel: return "kernel started"
        case .initramfs: return "initramfs"
        case .rootMounted: return "root filesystem mounted / init started"
        case .login: return "login prompt"
        }
    }
}

/// Why a boot cannot go on.
public enum BootFailure: String, Sendable, Codable {
    case noBootableDisk = "no bootable disk"
    /// The firmware handed over to the disk and nothing ran: a boot sector without a bootloader.
    case noBootCode = "no boot code on the disk (no bootloader installed)"
    case grubError = "grub error"
    case kernelPanic = "kernel panic"
    case rootNotFound = "initramfs rescue shell / root device not found"
    case timeout
    case qemuFailed = "qemu failed"
}

/// Reads the serial console text and says which stage it shows and whether it failed.
public enum ConsoleReader {
    static let stageMarks: [(BootStage, [String])] = [
        (.firmware, ["SeaBIOS", "Booting from Hard Disk", "iPXE"]),
        (
            .bootloader,
            ["GNU GRUB", "GRUB Loading", "GRUB loading", "Booting `", "Booting '", "Press any key to continue"]
        ),
        (.kernel, ["Loading Linux", "Linux version", "[Linux-bzImage", "Decompressing Linux", "Probing EDD"]),
        (.initramfs, ["Loading, please wait", "initramfs", "dracut", "Begin: Loading essential drivers"]),
        (
            .rootMounted,
            [
                "Welcome to", "INIT: version", "systemd[1]", ": clean, ", "EXT4-fs (vda", "EXT3-fs",
                "Freeing unused kernel",
            ]
        ),
        (.login, ["login:"]),
    ]

    static let failureMarks: [(BootFailure, [String])] = [
        (.noBootableDisk, ["not a bootable disk", "No bootable device", "Boot failed"]),
        (
            .grubError,
            [
                "error: no such partition", "error: unknown filesystem", "error: file", "Error 22", "Error 15",
                "Error 17", "Error 2:", "grub rescue>",
            ]
        ),
        (.kernelPanic, ["Kernel panic"]),
        (
            .rootNotFound,
            [
                "(initramfs)", "Gave up waiting for root", "ALERT!", "dracut-initqueue[", "Entering emergency mode",
                "dracut:/#",
            ]
        ),
    ]

    /// The furthest stage the text shows, and the first failure it shows (if any).
    public static func read(_ console: String) -> (stage: BootStage, failure: BootFailure?) {
        // Marks are matched on the text as a terminal shows it: grub draws its greeting with
        // cursor moves inside the words ("Welcome to G\e[04;12H\e[04;13HRUB!"), depending on how
        // its writes were split. grub 2.12 greets with "Welcome to GRUB!", which is not systemd's
        // "Welcome to <distro>".
        let text = ConsoleText.stripEscapes(console).replacing("Welcome to GRUB", with: "GRUB")
        var stage = BootStage.none
        for (candidate, marks) in stageMarks where marks.contains(where: { text.contains($0) }) {
            stage = max(stage, candidate)
        }
        var failure = stage == .login ? nil : failureMarks.first { $0.1.contains(where: { text.contains($0) }) }?.0
        // A boot sector of zeros runs wild and may hand back to the firmware, which then fails
        // on the next device ("could not read the boot disk"): the disk had a valid signature
        // but no bootloader.
        // Judged on whole lines only: the console may be read mid-line ("Boot failed: not a
        // bootable dis"), and that half line must not read as the other failure.
        if failure == .noBootableDisk && stage == .firmware && text.contains("Booting from Hard Disk") {
            // ("\r\n" is one Character: split on every line end.)
            let lastLine =
                text.split(
                    omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
                )
                .last ?? ""
            // The text ends inside the firmware's failure line: wait for the rest of it.
            let lineIsWhole = !lastLine.contains("Boot failed")
            if !lineIsWhole {
                failure = nil
            } else if !text.contains("not a bootable disk") {
                failure = .noBootCode
            }
        }
        // dracut's timeout messages are only fatal when they end in a shell; a timeout
        // catches a boot that never gets further.
        if failure == .rootNotFound && text.contains("dracut-initqueue[") && !text.contains("#") { return (stage, nil) }
        return (stage, failure)
    }
}
