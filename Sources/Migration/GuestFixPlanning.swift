import Conversion
import GuestFixes

#if canImport(Glibc)
    import Glibc
#endif

/// The checks a conversion plan gets when guest fixes follow the copy: `convert` adds them for
/// its one disk, `migrate` for the root disk.
public enum GuestFixPlanning {
    public static func addChecks(to plan: inout ConversionPlan, noFix: Bool, fix: FixOptions) {
        let editsOnly = fix.editsOnly
        guard !noFix else {
            plan.notes.append("--no-fix: the guest is copied unchanged")
            return
        }
        guard plan.method != .swap else {
            plan.notes.append("a swap disk: no guest to fix")
            return
        }
        guard plan.fixesGuest else {
            plan.notes.append("the disk is cloned as it is: no Linux guest in partition 1 to fix")
            return
        }
        plan.checks.append(
            .init(
                name: "guest fixes can run", passed: geteuid() == 0,
                detail: geteuid() == 0
                    ? "root: the new disk is attached and mounted for the fixes"
                    : "the guest fixes attach and mount the new disk: run as root, or pass --no-fix to copy only"))
        if let kernels = plan.source.onlyXenKernels {
            plan.checks.append(
                .init(
                    name: "a kernel that boots on KVM", passed: false,
                    detail: "every kernel in the guest is Xen-only (\(kernels.joined(separator: ", "))): install the "
                        + "normal kernel package in the guest first (EL5: `yum install kernel`, 2.6.18-128.el5 or newer "
                        + "for virtio), or pass --no-fix to copy it anyway"))
        }
        // The same rule fix applies after the copy, said before anything is written.
        if let id = plan.source.distroID, let version = plan.source.distroVersion,
            let refusal = Profile.refusal(
                detected: Profile.detect(distro: id, version: version), distro: id, version: version, options: fix)
        {
            plan.checks.append(.init(name: "a guest helper for the distribution", passed: false, detail: refusal))
        }
        plan.notes.append(
            "guest fixes run on the new disk after the copy" + (editsOnly ? " (--edits-only: file edits only)" : ""))
    }
}
