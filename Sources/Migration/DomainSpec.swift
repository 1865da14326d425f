/// The KVM libvirt domain a Xen guest becomes: everything the XML says, as values, so that the
/// checks and the writer read the same thing.
public struct DomainSpec: Sendable, Codable, Equatable {
    public struct Disk: Sendable, Codable, Equatable {
        public enum SourceType: String, Sendable, Codable { case file, block }
        public var sourceType: SourceType
        public var source: String
        /// "vda", "vdb" …
        public var target: String
        public var bus = "virtio"
        public var readOnly = false
        /// Only the root disk has one: the firmware boots it, and libvirt refuses per-disk
        /// orders mixed with `<os><boot>`.
        public var bootOrder: Int?
        /// The Xen vdev it was, written as a comment beside it.
        public var xenName: String

        public init(
            sourceType: SourceType, source: String, target: String, readOnly: Bool = false, bootOrder: Int? = nil,
            xenName: String
        ) {
            self.sourceType = sourceType
            self.source = source
            self.target = target
            self.readOnly = readOnly
            self.bootOrder = bootOrder
            self.xenName = xenName
        }
    }

    public struct Interface: Sendable, Codable, Equatable {
        public var mac: String
        public var bridge: String
        public var model = "virtio"

        public init(mac: String, bridge: String) {
            self.mac = mac
            self.bridge = bridge
        }
    }

    public var type: DomainType
    public var name: String
    public var uuid: String?
    /// `<memory>`: the most the guest may balloon up to (Xen's maxmem).
    public var memoryMiB: Int
    /// `<currentMemory>`: what it starts with (Xen's memory).
    public var currentMemoryMiB: Int
    /// `<vcpu>`: the most (maxvcpus), `current` the ones online at start.
    public var vcpus: Int
    public var currentVcpus: Int
    /// i440fx: what boot-check proves, and it keeps EL5/6's transitional virtio working.
    public var machine = "pc"
    public var onPoweroff: String
    public var onReboot: String
    public var onCrash: String
    public var disks: [Disk]
    public var interfaces: [Interface]
    /// The file virtlogd keeps the serial console in (`<log>` of the serial port), from the
    /// first boot on KVM: what the guest said while nobody ran `virsh console`. nil: none.
    public var serialLog: String?

    /// Where libvirt's QEMU driver keeps a system domain's logs (the Debian, Fedora and SUSE
    /// packages' directory).
    public static func systemSerialLog(of name: String) -> String { "/var/log/libvirt/qemu/\(name)-serial0.log" }

    public init(
        type: DomainType, name: String, uuid: String?, memoryMiB: Int, currentMemoryMiB: Int, vcpus: Int,
        currentVcpus: Int, onPoweroff: String, onReboot: String, onCrash: String, disks: [Disk],
        interfaces: [Interface]
    ) {
        self.type = type
        self.name = name
        self.uuid = uuid
        self.memoryMiB = memoryMiB
        self.currentMemoryMiB = currentMemoryMiB
        self.vcpus = vcpus
        self.currentVcpus = currentVcpus
        self.onPoweroff = onPoweroff
        self.onReboot = onReboot
        self.onCrash = onCrash
        self.disks = disks
        self.interfaces = interfaces
    }
}
