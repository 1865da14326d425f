/// The guest an xl.cfg or xm config describes, from its settings. Nothing here is evaluated:
/// a value is text, a number is read as C reads it.
enum GuestFromSettings {
    /// Keys this model takes; any other key is reported as not carried over.
    static let readKeys: Set<String> = [
        "name", "uuid", "type", "builder", "pvh", "memory", "maxmem", "vcpus", "maxvcpus",
        "on_poweroff", "on_reboot", "on_crash", "bootloader", "bootloader_args", "bootargs",
        "kernel", "ramdisk", "extra", "root", "cmdline", "disk", "vif",
    ]

    static func build(_ settings: ConfigSettings, dialect: ConfigDialect, notes: inout Notes) -> XenGuest {
        var guest = XenGuest()
        let reader = SettingReader(settings: settings)
        guest.name = reader.string("name", notes: &notes)
        guest.uuid = reader.string("uuid", notes: &notes)?.lowercased()
        guest.type = guestType(reader, notes: &notes)
        guest.memoryMiB = reader.number("memory", notes: &notes)
        guest.maxMemoryMiB = reader.number("maxmem", notes: &notes) ?? guest.memoryMiB
        guest.vcpus = reader.number("vcpus", notes: &notes) ?? 1
        guest.maxVcpus = reader.number("maxvcpus", notes: &notes) ?? guest.vcpus
        guest.onPoweroff = reader.action("on_poweroff", notes: &notes) ?? .destroy
        guest.onReboot = reader.action("on_reboot", notes: &notes) ?? .restart
        guest.onCrash = reader.action("on_crash", notes: &notes) ?? .destroy
        guest.boot = boot(reader, notes: &notes)
        guest.disks = disks(settings["disk"], dialect: dialect, notes: &notes)
        guest.interfaces = interfaces(settings["vif"], notes: &notes)

        let dropped = settings.keys.filter { !readKeys.contains($0) }
        if !dropped.isEmpty {
            notes.info(
                "xen-settings-dropped",
                "not carried over to KVM (Xen-only or not read): " + dropped.joined(separator: ", "))
        }
        return guest
    }

    private static func guestType(_ reader: SettingReader, notes: inout Notes) -> GuestType {
        if let type = reader.string("type", notes: &notes) {
            if let known = GuestType(rawValue: type) { return known }
            notes.warning(
                "unknown-guest-type", "`type = \"\(type)\"` is no guest type xl knows", line: reader.line("type"))
        }
        if reader.string("builder", notes: &notes) == "hvm" { return .hvm }
        if let pvh = reader.string("pvh", notes: &notes), cNumber(pvh) ?? 0 != 0 { return .pvh }
        // xm started HVM guests through hvmloader given as their "kernel".
        if reader.string("kernel", notes: &notes)?.hasSuffix("hvmloader") == true { return .hvm }
        return .pv
    }

    private static func boot(_ reader: SettingReader, notes: inout Notes) -> Boot {
        var boot = Boot()
        boot.bootloader = reader.string("bootloader", notes: &notes)
        boot.bootloaderArgs =
            reader.words("bootloader_args", notes: &notes) ?? reader.words("bootargs", notes: &notes) ?? []
        boot.kernel = reader.string("kernel", notes: &notes)
        boot.ramdisk = reader.string("ramdisk", notes: &notes)
        let root = reader.string("root", notes: &notes)
        let extra = reader.string("extra", notes: &notes)
        if let cmdline = reader.string("cmdline", notes: &notes) {
            if root != nil || extra != nil {
                notes.warning(
                    "cmdline-overrides", "`cmdline` is set, so xl ignores `root` and `extra`",
                    line: reader.line("cmdline"))
            }
            boot.commandLine = cmdline
        } else {
            // xl's own joining: "root=ROOT EXTRA".
            let parts = [root.map { "root=" + $0 }, extra].compactMap { $0 }
            boot.commandLine = parts.isEmpty ? nil : parts.joined(separator: " ")
        }
        BootMethod.classify(&boot)
        return boot
    }

    private static func disks(_ setting: ConfigSetting?, dialect: ConfigDialect, notes: inout Notes) -> [XenDisk] {
        guard let setting else { return [] }
        var disks: [XenDisk] = []
        for spec in setting.value.items {
            let parsed = DiskSpec(spec, dialect: dialect)
            for problem in parsed.problems {
                notes.warning("disk-syntax", "disk `\(spec)`: \(problem)", line: setting.line)
            }
            guard !parsed.disk.vdev.isEmpty else {
                notes.blocker(
                    "disk-no-vdev", "disk `\(spec)` names no vdev (the guest's name for it, e.g. xvda1); add one",
                    line: setting.line)
                continue
            }
            disks.append(parsed.disk)
        }
        return disks
    }

    private static func interfaces(_ setting: ConfigSetting?, notes: inout Notes) -> [XenInterface] {
        guard let setting else { return [] }
        return setting.value.items.map { spec in
            let parsed = VifSpec(spec)
            for problem in parsed.problems {
                notes.warning("vif-syntax", "vif `\(spec)`: \(problem)", line: setting.line)
            }
            return parsed.interface
        }
    }
}

/// Typed reads of single-valued settings, each complaint naming the setting's line.
private struct SettingReader {
    let settings: ConfigSettings

    func line(_ key: String) -> Int? { settings[key]?.line }

    func string(_ key: String, notes: inout Notes) -> String? {
        guard let setting = settings[key] else { return nil }
        guard let atom = setting.value.atom else {
            notes.warning(
                "list-not-value", "`\(key)` is a list but should be a single value; it is ignored", line: setting.line)
            return nil
        }
        return atom
    }

    func number(_ key: String, notes: inout Notes) -> Int? {
        guard let text = string(key, notes: &notes) else { return nil }
        guard let value = cNumber(text) else {
            notes.warning("not-a-number", "`\(key) = \(text)` is not a number; it is ignored", line: line(key))
            return nil
        }
        return value
    }

    func action(_ key: String, notes: inout Notes) -> LifecycleAction? {
        guard let text = string(key, notes: &notes) else { return nil }
        guard let action = LifecycleAction(xenName: text) else {
            notes.warning(
                "unknown-action", "`\(key) = \(text)` is no action xl knows; xl's default is kept", line: line(key))
            return nil
        }
        return action
    }

    /// A list, or a single value split at blanks (`bootargs = "--entry=xvda1:/vmlinuz"`).
    func words(_ key: String, notes: inout Notes) -> [String]? {
        guard let setting = settings[key] else { return nil }
        switch setting.value {
        case .list(let items): return items
        case .atom(let text): return text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        }
    }
}
