/// Smaller guest settings that decide fixes: consoles, module aliases, SELinux, network.
public struct GuestConfig: Sendable, Codable, Equatable {
    /// Lines that start a getty or name a console: "/etc/inittab:32: co:2345:respawn:…".
    public var xenConsoleGettys: [String]
    /// `alias … xenblk|xennet|xen-blkfront|xen-netfront` lines in modprobe configs.
    public var xenModuleAliases: [String]
    /// SELINUX= from /etc/selinux/config: "enforcing", "permissive", "disabled"; nil if absent.
    public var selinux: String?
    /// ifcfg files with HWADDR= (a Xen MAC that will change).
    public var hardwareAddressFiles: [String]
    /// udev persistent-net rules that pin a MAC to eth0.
    public var persistentNetRules: String?
    /// DEFAULTKERNEL= from /etc/sysconfig/kernel.
    public var defaultKernelPackage: String?
    /// Stale device caches that name Xen devices.
    public var staleCaches: [String]
    /// /etc/crypttab entries and resume= settings that name Xen devices.
    public var xenDeviceFiles: [String]
}

enum GuestConfigScanner {
    static let gettyFiles = ["/etc/inittab", "/etc/securetty"]
    static let modprobeFiles = ["/etc/modprobe.conf", "/etc/modprobe.conf.local"]
    static let xenModules = ["xenblk", "xennet", "xen-blkfront", "xen-netfront", "xen_blkfront", "xen_netfront"]
    static let cacheFiles = ["/etc/blkid/blkid.tab", "/etc/blkid.tab", "/etc/lvm/cache/.cache"]
    static let deviceFiles = ["/etc/crypttab", "/etc/initramfs-tools/conf.d/resume", "/etc/uswsusp.conf"]

    static func scan(_ guest: some GuestFileSource) -> GuestConfig {
        var config = GuestConfig(
            xenConsoleGettys: [], xenModuleAliases: [], selinux: nil, hardwareAddressFiles: [],
            persistentNetRules: nil, defaultKernelPackage: nil, staleCaches: [], xenDeviceFiles: [])
        for file in gettyFiles {
            for (number, line) in guest.lines(file).enumerated()
            where !line.hasPrefix("#") && mentionsXenConsole(line) {
                config.xenConsoleGettys.append("\(file):\(number + 1): \(line)")
            }
        }
        for dir in ["/etc/systemd/system/getty.target.wants", "/etc/systemd/system/multi-user.target.wants"] {
            for name in guest.names(in: dir) where mentionsXenConsole(name) {
                config.xenConsoleGettys.append("\(dir)/\(name)")
            }
        }
        for name in guest.names(in: "/etc/init") where name.hasSuffix(".conf") {
            let file = "/etc/init/\(name)"
            for (number, line) in guest.lines(file).enumerated()
            where !line.hasPrefix("#") && mentionsXenConsole(line) {
                config.xenConsoleGettys.append("\(file):\(number + 1): \(line)")
            }
        }

        let modprobeD = guest.names(in: "/etc/modprobe.d").map { "/etc/modprobe.d/\($0)" }
        for file in modprobeFiles + modprobeD {
            for (number, line) in guest.lines(file).enumerated() {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if words.first == "alias", let module = words.last, xenModules.contains(String(module)) {
                    config.xenModuleAliases.append("\(file):\(number + 1): \(line)")
                }
            }
        }

        for line in guest.lines("/etc/selinux/config") where line.hasPrefix("SELINUX=") {
            config.selinux = String(line.dropFirst("SELINUX=".count)).lowercased()
        }
        let scripts = "/etc/sysconfig/network-scripts"
        for name in guest.names(in: scripts) where name.hasPrefix("ifcfg-") && name != "ifcfg-lo" {
            if guest.lines("\(scripts)/\(name)").contains(where: { $0.hasPrefix("HWADDR=") }) {
                config.hardwareAddressFiles.append("\(scripts)/\(name)")
            }
        }
        let rules = "/etc/udev/rules.d/70-persistent-net.rules"
        if guest.lines(rules).contains(where: { !$0.hasPrefix("#") && $0.contains("ATTR{address}") }) {
            config.persistentNetRules = rules
        }
        for line in guest.lines("/etc/sysconfig/kernel") where line.hasPrefix("DEFAULTKERNEL=") {
            config.defaultKernelPackage = String(line.dropFirst("DEFAULTKERNEL=".count))
        }
        config.staleCaches = cacheFiles.filter { guest.isFile($0) }
        for file in deviceFiles
        where guest.lines(file).contains(where: {
            !$0.hasPrefix("#") && !XenDeviceName.occurrences(in: $0).isEmpty
        }) {
            config.xenDeviceFiles.append(file)
        }
        return config
    }

    /// hvc0 and xvc0 are Xen's console devices; they do not exist under KVM.
    static func mentionsXenConsole(_ text: String) -> Bool {
        text.contains("hvc0") || text.contains("xvc0")
    }
}
