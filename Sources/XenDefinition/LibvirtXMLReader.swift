/// `virsh dumpxml --inactive` of a Xen domain (libvirt's xen or libxl driver): `<bootloader>`
/// beside `<os>` (not in it), `<type machine='xenpv'>linux</type>`, `xvd*` targets on bus xen,
/// `<memory>` the maximum and `<currentMemory>` the start size.
enum LibvirtXMLReader {
    static func read(_ text: String, notes: inout Notes) throws(XenDefinitionError) -> XenGuest {
        let domain = try XMLElement.parse(text)
        guard domain.name == "domain" else {
            throw XenDefinitionError("the XML's root is <\(domain.name)>, not a libvirt <domain>")
        }
        if let type = domain["type"], type != "xen" {
            notes.warning("not-xen-domain", "the domain's type is \(type), not xen: it may not be a Xen guest")
        }
        var guest = XenGuest()
        guest.name = domain.childText("name")
        guest.uuid = domain.childText("uuid")?.lowercased()
        guest.maxMemoryMiB = try domain.child("memory").map(mebibytes)
        guest.memoryMiB = try domain.child("currentMemory").map(mebibytes) ?? guest.maxMemoryMiB
        if let vcpu = domain.child("vcpu") {
            guard let most = Int(vcpu.text.trimmingBlanks) else {
                throw XenDefinitionError("<vcpu> holds no number: \(vcpu.text)")
            }
            guest.maxVcpus = most
            guest.vcpus = vcpu["current"].flatMap { Int($0) } ?? most
        }
        guest.type = guestType(domain.child("os")?.child("type"))
        guest.onPoweroff = action(domain, "on_poweroff", notes: &notes) ?? .destroy
        guest.onReboot = action(domain, "on_reboot", notes: &notes) ?? .restart
        guest.onCrash = action(domain, "on_crash", notes: &notes) ?? .destroy
        guest.boot = boot(domain)
        let devices = domain.child("devices")
        guest.disks = devices?.children("disk").compactMap { disk($0, notes: &notes) } ?? []
        guest.interfaces = devices?.children("interface").map(interface) ?? []
        return guest
    }

    private static func guestType(_ type: XMLElement?) -> GuestType {
        let os = type?.text.trimmingBlanks ?? "linux"
        let machine = type?["machine"]
        if os == "hvm" || machine == "xenfv" { return .hvm }
        if os == "xenpvh" || machine == "xenpvh" { return .pvh }
        return .pv
    }

    private static func action(_ domain: XMLElement, _ name: String, notes: inout Notes) -> LifecycleAction? {
        guard let text = domain.childText(name) else { return nil }
        guard let action = LifecycleAction(xenName: text) else {
            notes.warning("unknown-action", "<\(name)>\(text)</\(name)> is no action xl knows; xl's default is kept")
            return nil
        }
        return action
    }

    /// libvirt's memory units (KiB by default) in MiB.
    private static func mebibytes(_ element: XMLElement) throws(XenDefinitionError) -> Int {
        let units: [String: Int] = [
            "b": 1, "bytes": 1, "KB": 1000, "k": 1024, "KiB": 1024, "MB": 1_000_000, "M": 1 << 20, "MiB": 1 << 20,
            "GB": 1_000_000_000, "G": 1 << 30, "GiB": 1 << 30, "TB": 1_000_000_000_000, "T": 1 << 40, "TiB": 1 << 40,
        ]
        let unit = element["unit"] ?? "KiB"
        guard let size = units[unit], let value = Int(element.text.trimmingBlanks) else {
            throw XenDefinitionError("<\(element.name) unit='\(unit)'>\(element.text)</\(element.name)> is no size")
        }
        return value.multipliedReportingOverflow(by: size).partialValue >> 20
    }

    private static func boot(_ domain: XMLElement) -> Boot {
        var boot = Boot()
        boot.bootloader = domain.childText("bootloader")
        boot.bootloaderArgs =
            domain.childText("bootloader_args")?.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            ?? []
        let os = domain.child("os")
        boot.kernel = os?.childText("kernel")
        boot.ramdisk = os?.childText("initrd")
        boot.commandLine = os?.childText("cmdline")
        BootMethod.classify(&boot)
        return boot
    }

    private static func disk(_ element: XMLElement, notes: inout Notes) -> XenDisk? {
        guard let vdev = element.child("target")?["dev"] else {
            notes.blocker("disk-no-vdev", "a <disk> has no <target dev=…>; add the guest's name for it (e.g. xvda1)")
            return nil
        }
        let source = element.child("source")
        var target = source?["dev"] ?? source?["file"] ?? source?["volume"] ?? ""
        if element["type"] == "network" {
            // Network disks name a protocol and a resource, no path: keep both so the checks see it.
            target = "\(source?["protocol"] ?? "network"):\(source?["name"] ?? "")"
        }
        var disk = XenDisk(target: target, vdev: vdev)
        disk.kind = element["device"] == "cdrom" ? .cdrom : .disk
        if element.child("readonly") != nil {
            disk.access = .readOnly
        } else if element.child("shareable") != nil {
            disk.access = .sharedWrite
        }
        if let driver = element.child("driver") {
            let name = driver["name"]
            let type = driver["type"]
            if let type, DiskSpec.formats.contains(type) { disk.format = type }
            switch name {
            case "tap"?, "tap2"?: disk.prefix = [name, type].compactMap { $0 }.joined(separator: ":")
            case "qemu"?: disk.prefix = "qdisk"
            default: disk.prefix = name
            }
        }
        disk.script = element.child("script")?["path"]
        return disk
    }

    private static func interface(_ element: XMLElement) -> XenInterface {
        var interface = XenInterface(mac: element.child("mac")?["address"].flatMap(VifSpec.normalizedMAC) ?? "")
        interface.bridge = element.child("source")?["bridge"] ?? "xenbr0"
        interface.model = element.child("model")?["type"]
        interface.script = element.child("script")?["path"]
        interface.vifname = element.child("target")?["dev"]
        interface.ip = element.child("ip")?["address"]
        if let average = element.child("bandwidth")?.child("outbound")?["average"] {
            // libvirt's average is in KiB/s.
            interface.rate = "\(average)KiB/s"
        }
        return interface
    }
}
