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

/// The kernel arguments that keep a KVM guest's NICs named ethN, as its network configs name
/// them (udev would name a virtio NIC by its slot, ens3): one rule for the `interface-names`
/// finding and the kernel-argument edits.
public enum EthInterfaceNames {
    public static let kernelArguments = ["net.ifnames=0", "biosdevname=0"]
}
