/// Smaller guest settings that decide fixes: consoles, module aliases, SELinux, network.
public struct GuestConfig: Sendable, Codable, Equatable {
    /// Lines that start a getty or name a console: "/etc/inittab:32: co:2345:respawn:…".
    public var xenConsoleGettys: [String]
    /// `alias` lines loading a Xen driver in the modprobe and modutils configs (`XenModuleAlias`).
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
    /// Network configs naming `ethN` in a guest whose udev names NICs by their slot (systemd's
    /// predictable names). Xen's netfront NIC has no slot and stays eth0; a virtio NIC on PCI
    /// becomes ens3, and these configs would match nothing: the guest boots without network.
    public var ethConfigsUnderSlotNames: [String]
}

enum GuestConfigScanner {
    static let gettyFiles = ["/etc/inittab", "/etc/securetty"]
    static let cacheFiles = ["/etc/blkid/blkid.tab", "/etc/blkid.tab", "/etc/lvm/cache/.cache"]
    static let deviceFiles = ["/etc/crypttab", "/etc/initramfs-tools/conf.d/resume", "/etc/uswsusp.conf"]

    static func scan(_ guest: some GuestFileSource) -> GuestConfig {
        var config = GuestConfig(
            xenConsoleGettys: [], xenModuleAliases: [], selinux: nil, hardwareAddressFiles: [],
            persistentNetRules: nil, defaultKernelPackage: nil, staleCaches: [], xenDeviceFiles: [],
            ethConfigsUnderSlotNames: [])
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

        let directory = XenModuleAlias.directory
        for file in XenModuleAlias.files + guest.names(in: directory).sorted().map({ "\(directory)/\($0)" }) {
            for (number, line) in guest.lines(file).enumerated() where XenModuleAlias.parse(line) != nil {
                config.xenModuleAliases.append("\(file):\(number + 1): \(line)")
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
        if namesNICsBySlot(guest) { config.ethConfigsUnderSlotNames = ethConfigs(guest) }
        return config
    }

    /// systemd-udev's naming rules (80-net-setup-link.rules since systemd 209, 80-net-name-slot.rules
    /// before: EL7), not overridden by a file of the same name in /etc/udev/rules.d (the usual way
    /// to turn them off is a link to /dev/null there).
    static func namesNICsBySlot(_ guest: some GuestFileSource) -> Bool {
        let rules = ["80-net-setup-link.rules", "80-net-name-slot.rules"]
        let overridden = Set(guest.names(in: "/etc/udev/rules.d"))
        return ["/lib/udev/rules.d", "/usr/lib/udev/rules.d"].contains { directory in
            guest.names(in: directory).contains { rules.contains($0) && !overridden.contains($0) }
        }
    }

    /// ifcfg-ethN files, and ifupdown, netplan, systemd-networkd or NetworkManager keyfiles with
    /// an `ethN` word outside comments (networkd: `Name=eth0`, or a glob `Name=eth*`;
    /// NetworkManager: `interface-name=eth0`).
    static func ethConfigs(_ guest: some GuestFileSource) -> [String] {
        let scripts = "/etc/sysconfig/network-scripts"
        var found = guest.names(in: scripts).sorted()
            .filter { $0.hasPrefix("ifcfg-") && isEthName($0.dropFirst("ifcfg-".count)) }
            .map { "\(scripts)/\($0)" }
        /// The files of `directory` whose names end in `suffix`, by name, as guest paths.
        func files(in directory: String, endingIn suffix: String = "") -> [String] {
            guest.names(in: directory).sorted().filter { $0.hasSuffix(suffix) }.map { "\(directory)/\($0)" }
        }
        let candidates =
            ["/etc/network/interfaces"] + files(in: "/etc/network/interfaces.d")
            + files(in: "/etc/netplan", endingIn: ".yaml") + files(in: "/etc/systemd/network", endingIn: ".network")
            + files(in: "/etc/NetworkManager/system-connections")
        for file in candidates
        where guest.lines(file).contains(where: { line in
            let text = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return text.split(whereSeparator: { " \t:=".contains($0) }).contains { isEthName($0) }
        }) {
            found.append(file)
        }
        return found
    }

    /// "eth0", "eth1", … (and "eth0.100"-style VLANs, "eth0:1" aliases: still the eth0 NIC;
    /// "eth*", a networkd glob that matches no slot name either).
    static func isEthName(_ word: Substring) -> Bool {
        guard word.hasPrefix("eth"), let first = word.dropFirst(3).first else { return false }
        return first == "*" || (first.isASCII && first.isNumber)
    }

    /// hvc0 and xvc0 are Xen's console devices; they do not exist under KVM.
    static func mentionsXenConsole(_ text: String) -> Bool {
        text.contains("hvc0") || text.contains("xvc0")
    }
}
