/// Xen's console on a kernel command line and what takes its place under KVM: one rule for
/// the `xen-console` finding and the kernel-argument edits (GuestFixes' `KernelArguments`).
public enum XenConsole {
    /// The kernel arguments that name Xen's console: hvc0 (xvc0 on older kernels).
    public static let arguments = ["console=hvc0", "console=xvc0"]

    /// What replaces it: messages on the screen and the first serial port, the serial one last
    /// so that it is /dev/console (systemd then starts a serial getty there).
    public static let kvmArguments = ["console=tty0", "console=ttyS0,115200"]

    /// `console=hvc0`, `console=xvc0`, with or without options after a comma.
    public static func isXenConsole(_ word: some StringProtocol) -> Bool {
        arguments.contains { word == $0 || word.hasPrefix($0 + ",") }
    }
}
