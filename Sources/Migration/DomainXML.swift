/// The libvirt domain XML of a `DomainSpec`.
public enum DomainXML {
    public static func render(_ spec: DomainSpec) -> String {
        var xml = XMLWriter()
        xml.start("domain", [("type", spec.type.rawValue)])
        xml.element("name", value: spec.name)
        if let uuid = spec.uuid { xml.element("uuid", value: uuid) }
        xml.element("memory", [("unit", "MiB")], value: String(spec.memoryMiB))
        xml.element("currentMemory", [("unit", "MiB")], value: String(spec.currentMemoryMiB))
        var vcpu: [(String, String)] = [("placement", "static")]
        if spec.currentVcpus != spec.vcpus { vcpu.append(("current", String(spec.currentVcpus))) }
        xml.element("vcpu", vcpu, value: String(spec.vcpus))
        xml.start("os")
        xml.element("type", [("arch", "x86_64"), ("machine", spec.machine)], value: "hvm")
        // SeaBIOS says what it does on the serial console too: a disk that does not boot shows why.
        xml.element("bios", [("useserial", "yes")])
        xml.end()
        // ACPI lets `virsh shutdown` power the guest off as `xl shutdown` did.
        xml.start("features")
        xml.element("acpi")
        xml.element("apic")
        xml.end()
        xml.element("on_poweroff", value: spec.onPoweroff)
        xml.element("on_reboot", value: spec.onReboot)
        xml.element("on_crash", value: spec.onCrash)
        xml.start("devices")
        for disk in spec.disks { write(disk, to: &xml) }
        for interface in spec.interfaces {
            xml.start("interface", [("type", "bridge")])
            xml.element("mac", [("address", interface.mac)])
            xml.element("source", [("bridge", interface.bridge)])
            xml.element("model", [("type", interface.model)])
            xml.end()
        }
        // The guest fixes put the console on ttyS0: the first serial port, a pty `virsh console` reaches.
        xml.start("serial", [("type", "pty")])
        if let log = spec.serialLog { xml.element("log", [("file", log), ("append", "on")]) }
        xml.element("target", [("port", "0")])
        xml.end()
        xml.start("console", [("type", "pty")])
        xml.element("target", [("type", "serial"), ("port", "0")])
        xml.end()
        xml.start("channel", [("type", "unix")])
        xml.element("target", [("type", "virtio"), ("name", "org.qemu.guest_agent.0")])
        xml.end()
        xml.element("memballoon", [("model", "virtio")])
        xml.end()
        xml.end()
        return xml.text
    }

    private static func write(_ disk: DomainSpec.Disk, to xml: inout XMLWriter) {
        xml.comment("Xen \(disk.xenName)")
        xml.start("disk", [("type", disk.sourceType.rawValue), ("device", "disk")])
        // cache='none' io='native' for files and block devices alike: O_DIRECT, no second copy
        // in the host's page cache, and native AIO, which a raw image file supports as a block
        // device does (the image must be on a filesystem with O_DIRECT: not tmpfs).
        xml.element("driver", [("name", "qemu"), ("type", "raw"), ("cache", "none"), ("io", "native")])
        xml.element("source", [(disk.sourceType == .file ? "file" : "dev", disk.source)])
        xml.element("target", [("dev", disk.target), ("bus", disk.bus)])
        if disk.readOnly { xml.element("readonly") }
        if let order = disk.bootOrder { xml.element("boot", [("order", String(order))]) }
        xml.end()
    }
}
