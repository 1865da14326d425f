import XenDefinition

/// The KVM domain made from a Xen guest and the disks planned for it, with what was not
/// carried over and what was changed on the way.
enum DomainBuilder {
    struct Built {
        var spec: DomainSpec
        var dropped: [String]
        var notes: [String]
        var problems: [String]
    }

    struct PlannedDisk {
        var xen: String
        var kvmDisk: String
        var target: String
        var block: Bool
        var readOnly: Bool
        var isRoot: Bool
    }

    static func build(_ definition: XenDefinition, disks: [PlannedDisk], options: MigrationOptions) -> Built {
        let guest = definition.guest
        var notes: [String] = []
        var problems: [String] = []
        if guest.name == nil { problems.append("the definition names no guest: libvirt needs a name") }
        if guest.memoryMiB == nil {
            problems.append("the definition sets no memory= (libxl would give 32 MiB): add memory= to it")
        }
        let memory = guest.memoryMiB ?? 0
        let actions = [
            ("on_poweroff", guest.onPoweroff, Self.poweroffActions),
            ("on_reboot", guest.onReboot, Self.poweroffActions),
            ("on_crash", guest.onCrash, Self.crashActions),
        ].map { event, action, allowed in
            let (value, note) = lifecycle(event, action, allowed: allowed)
            if let note { notes.append(note) }
            return value
        }
        let interfaces = guest.interfaces.map { interface in
            let bridge = options.bridgeMap[interface.bridge] ?? interface.bridge
            return DomainSpec.Interface(mac: interface.mac, bridge: bridge)
        }
        for bridge in Set(guest.interfaces.map(\.bridge)).sorted() where options.bridgeMap[bridge] == nil {
            notes.append(
                "bridge \(bridge) is kept as it is (no --bridge-map \(bridge)=…): the KVM host needs one so named")
        }
        var spec = DomainSpec(
            type: options.domainType, name: guest.name ?? "", uuid: guest.uuid,
            memoryMiB: max(memory, guest.maxMemoryMiB ?? memory), currentMemoryMiB: memory,
            vcpus: max(guest.vcpus, guest.maxVcpus), currentVcpus: guest.vcpus,
            onPoweroff: actions[0], onReboot: actions[1], onCrash: actions[2],
            disks: disks.map { disk in
                DomainSpec.Disk(
                    sourceType: disk.block ? .block : .file, source: disk.target, target: disk.kvmDisk,
                    readOnly: disk.readOnly, bootOrder: disk.isRoot ? 1 : nil, xenName: disk.xen)
            },
            interfaces: interfaces)
        if let name = guest.name { spec.serialLog = DomainSpec.systemSerialLog(of: name) }
        return Built(spec: spec, dropped: dropped(definition), notes: notes, problems: problems)
    }

    /// What libvirt's QEMU driver takes for each event (rename-restart and soft-reset are Xen's).
    static let poweroffActions: Set<String> = ["destroy", "restart"]
    static let crashActions: Set<String> = ["destroy", "restart", "preserve", "coredump-destroy", "coredump-restart"]

    private static func lifecycle(_ event: String, _ action: LifecycleAction, allowed: Set<String>) -> (
        String, String?
    ) {
        if allowed.contains(action.rawValue) { return (action.rawValue, nil) }
        let replacement = action == .destroy || action == .coredumpDestroy ? "destroy" : "restart"
        return (replacement, "\(event) \(action.rawValue) has no QEMU equivalent: \(replacement)")
    }

    /// The Xen-only settings the KVM domain does not carry, one line each.
    static func dropped(_ definition: XenDefinition) -> [String] {
        let guest = definition.guest
        let boot = guest.boot
        var dropped: [String] = []
        if let bootloader = boot.bootloader {
            dropped.append(
                "bootloader=\(bootloader)\(boot.bootloaderArgs.isEmpty ? "" : " " + boot.bootloaderArgs.joined(separator: " ")): the disk boots with its own grub"
            )
        }
        if let kernel = boot.kernel {
            dropped.append(
                "kernel=\(kernel)\(boot.ramdisk.map { ", ramdisk=\($0)" } ?? ""): the guest boots its own kernel")
        }
        if let line = boot.commandLine {
            dropped.append("the kernel command line (\(line)): the fixed grub config holds the guest's")
        }
        for disk in guest.disks where disk.kind == .disk {
            if let prefix = disk.prefix { dropped.append("disk \(disk.vdev): backend \(prefix)") }
            if let script = disk.script { dropped.append("disk \(disk.vdev): script \(script)") }
        }
        for (index, interface) in guest.interfaces.enumerated() {
            let xenOnly = [
                ("model", interface.model), ("rate", interface.rate), ("ip", interface.ip),
                ("vifname", interface.vifname), ("script", interface.script),
            ].compactMap { key, value in value.map { "\(key)=\($0)" } }
            if !xenOnly.isEmpty {
                dropped.append("vif \(index): \(xenOnly.joined(separator: ", ")) (now a virtio NIC)")
            }
        }
        for finding in definition.findings where ["xen-settings-dropped", "cdrom-dropped"].contains(finding.code) {
            dropped.append(finding.message)
        }
        return dropped
    }
}
