/// One Xen guest as its definition describes it, whichever of the four forms it was read from
/// (xl.cfg, xm config, `xl -N create` JSON, libvirt Xen XML). Defaults are xl's, filled in by
/// the readers, so that two forms of the same guest give equal models.
public struct XenGuest: Sendable, Codable, Equatable {
    public var name: String?
    public var uuid: String?
    public var type: GuestType = .pv
    /// MiB the guest starts with (`memory`); nil when the definition does not say.
    public var memoryMiB: Int?
    /// MiB it may balloon up to (`maxmem`); equal to `memoryMiB` when not set.
    public var maxMemoryMiB: Int?
    /// vCPUs online at start (`vcpus`).
    public var vcpus: Int = 1
    /// vCPUs it may hot-plug up to (`maxvcpus`); equal to `vcpus` when not set.
    public var maxVcpus: Int = 1
    public var disks: [XenDisk] = []
    public var interfaces: [XenInterface] = []
    /// xl's defaults (destroy, restart, destroy); libvirt's Xen parser assumes restart on crash,
    /// so an XML that says nothing about it gets the same xl default here.
    public var onPoweroff: LifecycleAction = .destroy
    public var onReboot: LifecycleAction = .restart
    public var onCrash: LifecycleAction = .destroy
    public var boot = Boot()

    public init() {}
}

public enum GuestType: String, Sendable, Codable {
    case pv, hvm, pvh
}

/// What Xen does when the guest powers off, reboots or crashes (xl's names).
public enum LifecycleAction: String, Sendable, Codable, CaseIterable {
    case destroy, restart, preserve
    case renameRestart = "rename-restart"
    case coredumpDestroy = "coredump-destroy"
    case coredumpRestart = "coredump-restart"
    case softReset = "soft-reset"

    /// xl writes `rename-restart`, libxl's JSON `rename_restart`: both are accepted.
    public init?(xenName: String) {
        self.init(rawValue: String(xenName.lowercased().map { $0 == "_" ? "-" : $0 }))
    }
}

/// How Xen started the guest's kernel.
public struct Boot: Sendable, Codable, Equatable {
    public enum Method: String, Sendable, Codable {
        /// A dom0 program (pygrub) read the guest's grub config from its disk.
        case bootloader
        /// `kernel=` named pv-grub: a grub inside the guest domain read the guest's menu.lst.
        case pvGrub = "pv-grub"
        /// `kernel=` named a kernel file on the Xen host: the guest may hold no kernel at all.
        case directKernel = "direct-kernel"
        /// Nothing says how: xl would refuse to start it.
        case none
    }

    public var method: Method = .none
    /// `bootloader=` as written ("pygrub", "/usr/bin/pygrub").
    public var bootloader: String?
    /// `bootloader_args` (xl) or `bootargs` (xm), one word each.
    public var bootloaderArgs: [String] = []
    /// `kernel=` (a dom0 path) for direct and pv-grub boot.
    public var kernel: String?
    /// `ramdisk=`.
    public var ramdisk: String?
    /// The kernel command line xl builds: `root=ROOT EXTRA` (or `cmdline=`).
    public var commandLine: String?
    /// The `root=` device of that command line ("/dev/xvda1"), the root filesystem when the
    /// definition names one.
    public var root: String?

    public init() {}
}

public struct XenDisk: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case disk, cdrom }
    public enum Access: String, Sendable, Codable {
        case readWrite = "rw"
        case readOnly = "ro"
        /// xm's `w!`: writable even when another guest has it open.
        case sharedWrite = "w!"
    }

    /// The dom0 path (or, for network disks, the backend's name); "" for an empty cdrom drive.
    public var target: String
    /// raw, qcow, qcow2, vhd, qed, empty.
    public var format: String = "raw"
    /// The guest's name for it: "xvda1", "xvdb", "sda1", "hdc".
    public var vdev: String
    public var access: Access = .readWrite
    public var kind: Kind = .disk
    /// The backend prefix as written, without its colon: "phy", "file", "tap:aio", "ioemu";
    /// libxl's backend name ("phy", "tap", "qdisk") for the JSON and XML forms.
    public var prefix: String?
    /// A hotplug script that turns the target into a device (`script=`, `iscsi:` → block-iscsi).
    public var script: String?

    public init(target: String, vdev: String) {
        self.target = target
        self.vdev = vdev
    }
}

public struct XenInterface: Sendable, Codable, Equatable {
    /// The MAC the KVM guest gets: the definition's, or one generated from the guest's uuid (or
    /// name) and the interface's index when the definition had none.
    public var mac: String
    /// True when the definition had no MAC: xl made a random one at each start.
    public var macGenerated: Bool = false
    /// `bridge=`; xl's default is xenbr0.
    public var bridge: String = "xenbr0"
    public var model: String?
    /// `rate=` as written ("10Mb/s", "100MB/s@20ms").
    public var rate: String?
    public var ip: String?
    public var vifname: String?
    public var script: String?

    public init(mac: String) {
        self.mac = mac
    }
}
