import Inspection

/// /etc/sysconfig/bootloader (openSUSE, SLES), from which perl-Bootloader writes the menu
/// entries of every kernel installed later (and grub2's /etc/default/grub on SLES 12+).
///
/// - `DEFAULT_APPEND` and `FAILSAFE_APPEND` get the command-line edits of `KernelArguments`
///   (the serial console instead of hvc0/xvc0, or added when none is named; KVM device names),
///   so new kernels boot with them too.
/// - `LOADER_TYPE="none"` (or empty), left by an install that pygrub booted, names the
///   bootloader the guest now boots with (`grub2`, `grub` for grub legacy): with `none`,
///   kernel updates would never reach the menu.
public struct SysconfigBootloaderEdit: GuestEdit {
    public let name = "sysconfig-bootloader"
    public init() {}

    static let path = "/etc/sysconfig/bootloader"
    static let appendKeys = ["DEFAULT_APPEND", "FAILSAFE_APPEND"]

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let mapping = DeviceMapping(context)
        let loader: String? =
            switch context.guest.bootloader {
            case .grub2: "grub2"
            case .grubLegacy: "grub"
            case .none: nil
            }
        return try rewrite(Self.path, in: root) { text in
            Self.edit(text, mapping: mapping, loader: loader, keepEthNames: context.keepsEthNames)
        }
    }

    static func edit(_ text: String, mapping: DeviceMapping, loader: String?, keepEthNames: Bool = false) -> (
        text: String, summary: [String]
    ) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices {
            guard var assignment = ShellAssignment(lines[index]) else { continue }
            if appendKeys.contains(assignment.key) {
                let arguments = KernelArguments.edit(
                    assignment.value, mapping: mapping, keepEthNames: keepEthNames)
                guard !arguments.changes.isEmpty else { continue }
                assignment.value = arguments.text
                summary.append("\(assignment.key): " + arguments.changes.joined(separator: ", "))
            } else if assignment.key == "LOADER_TYPE", let loader, ["", "none"].contains(assignment.value) {
                summary.append("LOADER_TYPE=\(assignment.value.isEmpty ? "\"\"" : assignment.value) → \(loader)")
                assignment.value = loader
            } else {
                continue
            }
            if assignment.open.isEmpty { (assignment.open, assignment.close) = ("\"", "\"") }
            lines[index] = assignment.line
        }
        return (TextLines.join(lines), summary)
    }
}
