import Conversion
import GuestFixes

/// The sequence after a copy, shared by `convert` (one disk) and `migrate` (the root disk):
/// the guest fixes run on the new disk with the device names the conversion itself implies.
public enum ConvertThenFix {
    /// The fix options for the disk `plan` made: a partitioned Xen disk cloned keeps its
    /// partitions on the same disk (`xvda2` → `vda2`); names the caller gives win.
    public static func fixOptions(after plan: ConversionPlan, _ options: FixOptions) -> FixOptions {
        var options = options
        options.disk = plan.target.path
        options.deviceMap = plan.guestDeviceMap.merging(options.deviceMap) { _, asked in asked }
        return options
    }

    /// Runs the fixes on the disk `plan` made; nil when that disk holds no guest to fix (swap,
    /// a disk cloned as it is).
    public static func fix(after plan: ConversionPlan, _ options: FixOptions) async throws(GuestFixFailure)
        -> FixReport?
    {
        guard plan.fixesGuest else { return nil }
        return try await GuestFixer.run(fixOptions(after: plan, options))
    }
}
