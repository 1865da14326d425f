import Inspection

/// /etc/sysconfig/kernel (CentOS, RHEL): `DEFAULTKERNEL=kernel-xen` → the package of the
/// guest's best KVM kernel (`kernel`, or `kernel-PAE` on a 32-bit EL5 guest that has it).
///
/// new-kernel-pkg makes each newly installed kernel of the DEFAULTKERNEL package the grub
/// default. Left at kernel-xen, the next `yum update` would make a Xen-only kernel the default
/// again, and the guest would no longer boot under KVM. The package is that of `BestKernel`.
///
/// SUSE keeps `INITRD_MODULES` here, the drivers mkinitrd puts in every initrd (SLES 11 builds
/// it from nothing else): Xen's are dropped, virtio's added (`ModuleList`).
public struct SysconfigKernelEdit: GuestEdit {
    public let name = "sysconfig-kernel"
    public init() {}

    static let path = "/etc/sysconfig/kernel"

    public func changes(in root: GuestView, context: FixContext) throws(GuestFixError) -> [FileChange] {
        let package = BestKernel.choose(context.guest.kernels).map { Self.package(ofVersion: $0.version) }
        return try rewrite(Self.path, in: root) { text in
            let kernel = Self.edit(text, package: package)
            let modules = ModuleList.editAssignments("INITRD_MODULES", in: kernel.text)
            return (modules.text, kernel.summary + modules.summary)
        }
    }

    static func edit(_ text: String, package best: String? = nil) -> (text: String, summary: [String]) {
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
            let package = best ?? String(value.dropLast("-xen".count))
            lines[index] = "DEFAULTKERNEL=" + quote + package + quote
            summary.append("DEFAULTKERNEL=\(value) → \(package): kernel updates stay bootable under KVM")
        }
        return (TextLines.join(lines), summary)
    }

    /// The RHEL-family package a kernel version belongs to: 2.6.18-419.el5PAE is kernel-PAE.
    static func package(ofVersion version: String) -> String {
        for flavor in ["PAE", "xen", "debug"] where version.hasSuffix(flavor) { return "kernel-\(flavor)" }
        return "kernel"
    }
}
