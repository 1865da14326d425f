/// /etc/sysconfig/kernel (CentOS, RHEL): `DEFAULTKERNEL=kernel-xen` → `DEFAULTKERNEL=kernel`.
///
/// new-kernel-pkg makes each newly installed kernel of the DEFAULTKERNEL package the grub
/// default. Left at kernel-xen, the next `yum update` would make a Xen-only kernel the default
/// again, and the guest would no longer boot under KVM.
///
/// SUSE keeps `INITRD_MODULES` here, the drivers mkinitrd puts in every initrd (SLES 11 builds
/// it from nothing else): Xen's are dropped, virtio's added (`ModuleList`).
public struct SysconfigKernelEdit: GuestEdit {
    public let name = "sysconfig-kernel"
    public init() {}

    static let path = "/etc/sysconfig/kernel"

    public func changes(in root: GuestRoot, context: FixContext) throws(GuestFixError) -> [FileChange] {
        try rewrite(Self.path, in: root) { text in
            let kernel = Self.edit(text)
            let modules = ModuleList.editAssignments("INITRD_MODULES", in: kernel.text)
            return (modules.text, kernel.summary + modules.summary)
        }
    }

    static func edit(_ text: String) -> (text: String, summary: [String]) {
        var lines = TextLines.split(text)
        var summary: [String] = []
        for index in lines.indices {
            let line = lines[index]
            guard line.hasPrefix("DEFAULTKERNEL=") else { continue }
            var value = line.dropFirst("DEFAULTKERNEL=".count)
            var quote = ""
            if let first = value.first, first == "\"" || first == "'", value.count >= 2, value.last == first {
                quote = String(first)
                value = value.dropFirst().dropLast()
            }
            guard value.hasSuffix("-xen") else { continue }
            let package = value.dropLast("-xen".count)
            lines[index] = "DEFAULTKERNEL=" + quote + package + quote
            summary.append("DEFAULTKERNEL=\(value) → \(package): kernel updates stay bootable under KVM")
        }
        return (TextLines.join(lines), summary)
    }
}
