import Inspection

/// Why a boot went quiet on the serial console after the bootloader handed over: the kernel
/// lines on the disk name no serial console, so the kernel, its messages and the login prompt
/// went to the screen (which boot-check, like `virsh console`, does not see). Read from the
/// disk's own bootloader config, without mounting it.
enum SilentConsole {
    /// A sentence for the report, or nil when the disk's kernel lines do name ttyS0 (or cannot
    /// be read: nothing is guessed).
    static func diagnosis(_ disk: String, stage: BootStage, failure: BootFailure?) -> String? {
        guard failure == .timeout, stage == .bootloader || stage == .kernel,
            let guest = try? Inspector.inspect(disk, readInitrds: false).guest
        else { return nil }
        let kernelLines = guest.commandLines.filter { $0.kernel != nil }
        guard let first = kernelLines.first, kernelLines.allSatisfy({ !namesSerialConsole($0.arguments) }) else {
            return nil
        }
        return "the bootloader started the kernel and the serial console then stayed silent: no kernel line on "
            + "the disk names a serial console (\(first.location): `\(first.arguments)`), so the kernel and the "
            + "login prompt are on the screen only. `xen2kvm fix \(disk)` adds "
            + XenConsole.kvmArguments.joined(separator: " ")
    }

    static func namesSerialConsole(_ arguments: String) -> Bool {
        arguments.split(separator: " ").contains { $0 == "console=ttyS0" || $0.hasPrefix("console=ttyS0,") }
    }
}
