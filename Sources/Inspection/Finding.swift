/// Something inspection noticed that matters for the move to KVM.
public struct Finding: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable, Comparable {
        /// Conversion cannot produce a booting guest until the operator acts.
        case blocker
        /// Must change for KVM; xen2kvm's guest fixes do it (the message says what).
        case warning
        /// Worth knowing; nothing to do.
        case info

        private var rank: Int { self == .blocker ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    /// Stable identifier for scripts: never reworded, only added to.
    public var code: String
    /// Names the file and says what will be done or must be done.
    public var message: String
    /// The guest file the finding is about, when there is one.
    public var file: String?

    public init(_ severity: Severity, _ code: String, _ message: String, file: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.file = file
    }

    /// A finding of inspection's own (a Xen definition's findings have codes of their own).
    public init(_ severity: Severity, _ code: FindingCode, _ message: String, file: String? = nil) {
        self.init(severity, code.rawValue, message, file: file)
    }
}

/// Every code inspection's findings carry (`Finding.code` holds the raw value). Stable for
/// scripts: never renamed, only added to; README's list of finding codes names each one.
public enum FindingCode: String, Sendable, CaseIterable {
    // The guest's files (GuestChecks).
    case distroUnknown = "distro-unknown"
    case noKernel = "no-kernel"
    case xenKernelPresent = "xen-kernel-present"
    case onlyXenKernels = "only-xen-kernels"
    case noVirtioDriver = "no-virtio-driver"
    case noVirtioInInitrd = "no-virtio-in-initrd"
    case initrdWithoutVirtio = "initrd-without-virtio"
    case initrdUnreadable = "initrd-unreadable"
    case noBootloaderConfig = "no-bootloader-config"
    case grub2Needs1mibStart = "grub2-needs-1mib-start"
    case grubPartitionlessRoot = "grub-partitionless-root"
    case defaultKernelXen = "default-kernel-xen"
    case defaultkernelXen = "defaultkernel-xen"
    case xvdInFstab = "xvd-in-fstab"
    case xvdInDeviceConfig = "xvd-in-device-config"
    case xenConsoleGetty = "xen-console-getty"
    case xenModuleAlias = "xen-module-alias"
    case selinuxRelabel = "selinux-relabel"
    case networkHwaddr = "network-hwaddr"
    case persistentNetRules = "persistent-net-rules"
    case interfaceNames = "interface-names"
    case staleDeviceCache = "stale-device-cache"
    case xvdInKernelCmdline = "xvd-in-kernel-cmdline"
    case xenConsole = "xen-console"
    case xenconsOption = "xencons-option"
    // The disk and its filesystem (Inspector).
    case sourceInUse = "source-in-use"
    case alreadyPartitioned = "already-partitioned"
    case filesystemNotClean = "filesystem-not-clean"
    case bootPartitionOnly = "boot-partition-only"
    case grub2DosCompatLayout = "grub2-dos-compat-layout"
}

/// The overall answer: can this disk be converted as it is?
public enum Readiness: String, Sendable, Codable {
    /// Nothing Xen-specific found.
    case ready
    /// Xen-isms found that `convert` fixes on its own.
    case fixable
    /// A blocker must be solved by the operator first.
    case blocked

    static func from(_ findings: [Finding]) -> Readiness {
        if findings.contains(where: { $0.severity == .blocker }) { return .blocked }
        if findings.contains(where: { $0.severity == .warning }) { return .fixable }
        return .ready
    }
}
