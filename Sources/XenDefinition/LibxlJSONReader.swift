import FoundationEssentials

/// `xl -N create CFG` output: libxl's own parse of a config, as JSON (libxl_domain_config).
/// The reliable form for an xm config full of Python: xl ran it, xen2kvm reads the result.
/// Kernel, command line and ramdisk sit in `b_info` since Xen 4.10 and in `b_info."type.pv"`
/// before; both are read.
enum LibxlJSONReader {
    static func read(_ text: String, notes: inout Notes) throws(XenDefinitionError) -> XenGuest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let config: DomainConfig
        do {
            config = try decoder.decode(DomainConfig.self, from: Data(text.utf8))
        } catch {
            throw XenDefinitionError("this is not the JSON `xl -N create` prints: \(error)")
        }
        var guest = XenGuest()
        guest.name = config.cInfo?.name
        guest.uuid = config.cInfo?.uuid?.lowercased()
        let info = config.bInfo
        guest.type = guestType(config)
        guest.memoryMiB = (info?.targetMemkb ?? info?.maxMemkb).map { $0 / 1024 }
        guest.maxMemoryMiB = info?.maxMemkb.map { $0 / 1024 } ?? guest.memoryMiB
        guest.maxVcpus = info?.maxVcpus ?? 1
        guest.vcpus = info?.availVcpus?.count ?? guest.maxVcpus
        guest.onPoweroff = try action(config.onPoweroff) ?? .destroy
        guest.onReboot = try action(config.onReboot) ?? .restart
        guest.onCrash = try action(config.onCrash) ?? .destroy

        var boot = Boot()
        boot.bootloader = info?.bootloader ?? info?.pv?.bootloader
        boot.bootloaderArgs = info?.bootloaderArgs ?? info?.pv?.bootloaderArgs ?? []
        boot.kernel = nonEmpty(info?.kernel ?? info?.pv?.kernel)
        boot.ramdisk = nonEmpty(info?.ramdisk ?? info?.pv?.ramdisk)
        boot.commandLine = nonEmpty(info?.cmdline ?? info?.pv?.cmdline)
        BootMethod.classify(&boot)
        guest.boot = boot

        guest.disks = (config.disks ?? []).map(disk)
        guest.interfaces = (config.nics ?? []).map(interface)
        return guest
    }

    private static func guestType(_ config: DomainConfig) -> GuestType {
        if let type = config.cInfo?.type, let known = GuestType(rawValue: type) { return known }
        if config.bInfo?.hvm != nil { return .hvm }
        return .pv
    }

    private static func action(_ name: String?) throws(XenDefinitionError) -> LifecycleAction? {
        guard let name else { return nil }
        guard let action = LifecycleAction(xenName: name) else {
            throw XenDefinitionError("`\(name)` is no action libxl knows")
        }
        return action
    }

    private static func nonEmpty(_ text: String?) -> String? {
        text.flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func disk(_ entry: DomainConfig.Disk) -> XenDisk {
        var disk = XenDisk(target: entry.pdevPath ?? "", vdev: entry.vdev ?? "")
        let format = entry.format ?? "unknown"
        // libxl's "unknown" is what xl leaves for a phy: or unprefixed disk: raw.
        disk.format = format == "unknown" ? "raw" : format
        disk.access = entry.readwrite == 0 ? .readOnly : .readWrite
        disk.kind = entry.isCdrom == 1 ? .cdrom : .disk
        disk.prefix = entry.backend.flatMap { $0 == "unknown" ? nil : $0 }
        disk.script = entry.script
        return disk
    }

    private static func interface(_ nic: DomainConfig.Nic) -> XenInterface {
        var interface = XenInterface(mac: nic.mac.flatMap(VifSpec.normalizedMAC) ?? "")
        interface.bridge = nic.bridge ?? "xenbr0"
        interface.model = nic.model
        interface.ip = nic.ip
        interface.vifname = nic.ifname
        interface.script = nic.script
        if let bytes = nic.rateBytesPerInterval, let interval = nic.rateIntervalUsecs, bytes > 0, interval > 0 {
            interface.rate = "\(bytes * 1_000_000 / interval)B/s"
        }
        return interface
    }
}

/// The parts of libxl_domain_config this model reads.
private struct DomainConfig: Decodable {
    struct CreateInfo: Decodable {
        var type: String?
        var name: String?
        var uuid: String?
    }

    struct PVInfo: Decodable {
        var kernel: String?
        var cmdline: String?
        var ramdisk: String?
        var bootloader: String?
        var bootloaderArgs: [String]?
    }

    struct Empty: Decodable {}

    struct BuildInfo: Decodable {
        var maxVcpus: Int?
        var availVcpus: [Int]?
        var maxMemkb: Int?
        var targetMemkb: Int?
        var kernel: String?
        var cmdline: String?
        var ramdisk: String?
        var bootloader: String?
        var bootloaderArgs: [String]?
        var pv: PVInfo?
        var hvm: Empty?

        enum CodingKeys: String, CodingKey {
            case maxVcpus, availVcpus, maxMemkb, targetMemkb, kernel, cmdline, ramdisk, bootloader, bootloaderArgs
            case pv = "type.pv"
            case hvm = "type.hvm"
        }
    }

    struct Disk: Decodable {
        var pdevPath: String?
        var vdev: String?
        var backend: String?
        var format: String?
        var script: String?
        var readwrite: Int?
        var isCdrom: Int?
    }

    struct Nic: Decodable {
        var mac: String?
        var bridge: String?
        var model: String?
        var ip: String?
        var ifname: String?
        var script: String?
        var rateBytesPerInterval: Int?
        var rateIntervalUsecs: Int?
    }

    var cInfo: CreateInfo?
    var bInfo: BuildInfo?
    var disks: [Disk]?
    var nics: [Nic]?
    var onPoweroff: String?
    var onReboot: String?
    var onCrash: String?
}
