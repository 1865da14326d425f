/// The rules that turn guest facts into findings, one small function per concern.
///
/// Inspection decides, conversion acts: each message names the file and says what the guest
/// fixes will do, or what the operator must do first. What a message promises the edits write
/// comes from the rules the edits follow (`DeviceMapping`, `XenConsole`, `XenModuleAlias`), so
/// wording and behaviour cannot drift apart.
enum GuestChecks {
    /// `placement`: where convert puts the guest (its device map is the edits' too).
    static func findings(for guest: GuestReport, placement: GuestPlacement = .newPartitionOne) -> [Finding] {
        let mapping = DeviceMapping(guest: guest, deviceMap: DeviceMapping.withDefaults(placement.deviceMap))
        return distro(guest) + kernels(guest) + bootloader(guest) + fstab(guest, mapping)
            + commandLines(guest, mapping) + consoles(guest) + modules(guest) + selinux(guest) + network(guest)
            + caches(guest)
    }

    static func distro(_ guest: GuestReport) -> [Finding] {
        guard guest.distro == "unknown" else { return [] }
        return [
            Finding(
                .warning, .distroUnknown,
                "no /etc/os-release, /etc/redhat-release or /etc/debian_version: the distribution is unknown; "
                    + "convert applies only the generic fixes (use --profile to pick one)")
        ]
    }

    static func kernels(_ guest: GuestReport) -> [Finding] {
        let kernels = guest.kernels
        guard !kernels.isEmpty else {
            return [
                Finding(
                    .blocker, .noKernel,
                    "/boot holds no kernel: the guest booted a kernel kept on the Xen host. "
                        + "Install a kernel package in the guest (kernel, linux-image-amd64) before converting")
            ]
        }
        var result: [Finding] = []
        let kvmKernels = kernels.filter { !$0.xenOnly }
        for kernel in kernels where kernel.xenOnly {
            result.append(
                Finding(
                    .info, .xenKernelPresent,
                    "\(kernel.image) is built for Xen PV only ("
                        + (kernel.evidence == "config"
                            ? "/boot/config-\(kernel.version) sets CONFIG_X86_XEN or CONFIG_X86_64_XEN"
                            : "by its name; there is no /boot/config-\(kernel.version)")
                        + ") and cannot boot under KVM; it stays installed but is not the default",
                    file: kernel.image))
        }
        if let versions = guest.onlyXenKernels {
            result.append(
                Finding(
                    .blocker, .onlyXenKernels,
                    "every kernel in /boot is Xen-only (\(versions.joined(separator: ", "))): "
                        + "install the normal kernel package first (EL5: `yum install kernel`, it must be "
                        + "2.6.18-128.el5 or newer for virtio), then convert"))
            return result
        }
        let withVirtio = kvmKernels.filter(\.virtio)
        if withVirtio.isEmpty {
            result.append(
                Finding(
                    .blocker, .noVirtioDriver,
                    "no installed non-Xen kernel has a virtio_blk driver (module or built in): under KVM it "
                        + "cannot see its disk. Install a kernel with virtio (EL5: 2.6.18-128.el5 or newer)"))
        }
        let initrdsWithout = withVirtio.filter { $0.initrdHasVirtio == false }
        if !withVirtio.isEmpty && !withVirtio.contains(where: { $0.initrdHasVirtio == true }) {
            let names = withVirtio.compactMap(\.initrd)
            result.append(
                Finding(
                    .warning, .noVirtioInInitrd,
                    names.isEmpty
                        ? "no initrd found for the KVM-capable kernels: convert builds one with virtio_blk"
                        : "no initrd carries virtio_blk (\(names.joined(separator: ", "))): convert rebuilds "
                            + "them with virtio, keeping the old images as backups",
                    file: names.first))
        } else {
            for kernel in initrdsWithout {
                result.append(
                    Finding(
                        .warning, .initrdWithoutVirtio,
                        "\(kernel.initrd ?? "initrd") has no virtio_blk: convert rebuilds it with virtio",
                        file: kernel.initrd))
            }
        }
        for kernel in kernels where kernel.initrdProblem != nil {
            result.append(
                Finding(
                    .info, .initrdUnreadable,
                    "\(kernel.initrd ?? "initrd") could not be read (\(kernel.initrdProblem!)): "
                        + "whether it has virtio is unknown; convert rebuilds it",
                    file: kernel.initrd))
        }
        return result
    }

    static func bootloader(_ guest: GuestReport) -> [Finding] {
        var result: [Finding] = []
        switch guest.bootloader {
        case .none:
            result.append(
                Finding(
                    .blocker, .noBootloaderConfig,
                    "no /boot/grub/menu.lst, grub.conf or grub.cfg: nothing tells a bootloader what to boot. "
                        + "Install grub (grub2 or grub legacy) in the guest before converting"))
        case .grub2:
            result.append(
                Finding(
                    .info, .grub2Needs1mibStart,
                    "grub2 guest: its core.img (~27 KiB) does not fit in the 31 sectors before a partition "
                        + "at sector 32; convert keeps partition 1 at sector 2048 (do not use --dos-compat)",
                    file: guest.bootloaderConfigs.first))
        case .grubLegacy:
            break
        }
        for location in guest.partitionlessRoot {
            result.append(
                Finding(
                    .warning, .grubPartitionlessRoot,
                    "\(location): `root (hd0)` names the partitionless Xen disk; convert sets `root (hd0,0)`",
                    file: location.file))
        }
        if guest.onlyXenKernels == nil, let defaultKernel = guest.defaultKernel,
            let kernel = guest.kernels.first(where: { defaultKernel.hasSuffix($0.version) }), kernel.xenOnly
        {
            result.append(
                Finding(
                    .warning, .defaultKernelXen,
                    "\(guest.bootloaderConfigs.first ?? "the grub config"): the default entry boots the Xen-only "
                        + "kernel \(kernel.version); convert makes a non-Xen kernel the default",
                    file: guest.bootloaderConfigs.first))
        }
        if let package = guest.config.defaultKernelPackage, package.hasSuffix("-xen") {
            result.append(
                Finding(
                    .warning, .defaultkernelXen,
                    "/etc/sysconfig/kernel: DEFAULTKERNEL=\(package) would make the next kernel update boot Xen "
                        + "again; convert sets DEFAULTKERNEL=kernel",
                    file: "/etc/sysconfig/kernel"))
        }
        return result
    }

    static func fstab(_ guest: GuestReport, _ mapping: DeviceMapping) -> [Finding] {
        var result: [Finding] = []
        for entry in guest.fstab where !XenDeviceName.occurrences(in: entry.device).isEmpty {
            let place =
                "/etc/fstab:\(entry.line) "
                + (entry.mountPoint == "/"
                    ? "mounts / from \(entry.device)" : "uses \(entry.device) (\(entry.mountPoint), \(entry.type))")
            result.append(
                Finding(.warning, .xvdInFstab, "\(place): \(fstabAction(entry, mapping))", file: "/etc/fstab"))
        }
        for file in guest.config.xenDeviceFiles {
            result.append(
                Finding(
                    .warning, .xvdInDeviceConfig,
                    "\(file) names Xen devices (xvd*): convert renames them to vd*", file: file))
        }
        return result
    }

    /// What the fstab edit does with an entry naming a Xen device: it renames a device field
    /// that is a /dev path, as `mapping` says, and comments out one with no KVM device.
    static func fstabAction(_ entry: FstabEntry, _ mapping: DeviceMapping) -> String {
        guard let xen = XenDeviceName(path: entry.device) else {
            return "convert leaves it as it is (not a /dev path): rename it by hand"
        }
        switch mapping.kvmName(for: xen) {
        case nil:
            return "a separate Xen volume, not part of this disk; convert maps it by --map (default: comment it out)"
        case let kvm? where xen == mapping.root:
            return "convert writes /dev/\(kvm)"
        case let kvm? where xen.disk == mapping.root?.disk:
            return "a partition of this disk; convert writes /dev/\(kvm)"
        case let kvm?:
            return
                "another Xen disk; convert writes /dev/\(kvm) (change with --map) — attach it as a second virtio disk"
        }
    }

    static func commandLines(_ guest: GuestReport, _ mapping: DeviceMapping) -> [Finding] {
        // One finding per file and kind, naming the lines and the exact words found.
        struct Key: Hashable {
            var code: FindingCode
            var file: String
        }
        var hits: [Key: (lines: [Int], words: [String])] = [:]
        var order: [Key] = []
        func note(_ code: FindingCode, _ file: String, _ line: Int, _ word: String) {
            let key = Key(code: code, file: file)
            if hits[key] == nil { order.append(key) }
            var hit = hits[key] ?? ([], [])
            if !hit.lines.contains(line) { hit.lines.append(line) }
            if !hit.words.contains(word) { hit.words.append(word) }
            hits[key] = hit
        }
        for line in guest.commandLines {
            let (file, number) = (line.location.file, line.location.line)
            for word in line.arguments.split(separator: " ").map(String.init) {
                if !XenDeviceName.occurrences(in: word).isEmpty { note(.xvdInKernelCmdline, file, number, word) }
                if XenConsole.isXenConsole(word) { note(.xenConsole, file, number, word) }
                if word.hasPrefix("xencons=") { note(.xenconsOption, file, number, word) }
            }
        }
        return order.map { key in
            let hit = hits[key]!
            let place = "\(key.file):\(hit.lines.map(String.init).joined(separator: ","))"
            let words = hit.words.joined(separator: " ")
            let action: String
            switch key.code {
            case .xvdInKernelCmdline:
                action = "names a Xen disk; convert " + Self.renames(hit.words, mapping)
            case .xenConsole:
                action = "is Xen's console; convert writes " + XenConsole.kvmArguments.joined(separator: " ")
            default: action = "is Xen-only; convert drops it"
            }
            return Finding(.warning, key.code, "\(place): \(words) \(action)", file: key.file)
        }
    }

    /// What the kernel-argument edit does with words naming Xen disks, as `mapping` renames:
    /// "writes root=/dev/vda1 and drops resume=/dev/xvda2".
    static func renames(_ words: [String], _ mapping: DeviceMapping) -> String {
        var written: [String] = []
        var dropped: [String] = []
        var kept: [String] = []
        for word in words {
            guard let equals = word.firstIndex(of: "="),
                let xen = XenDeviceName(path: word[word.index(after: equals)...])
            else {
                kept.append(word)
                continue
            }
            let key = String(word[...equals])
            if let path = mapping.argumentPath(key: key, for: xen) {
                written.append(key + path)
            } else {
                dropped.append(word)
            }
        }
        var parts: [String] = []
        if !written.isEmpty { parts.append("writes " + written.joined(separator: " ")) }
        if !dropped.isEmpty { parts.append("drops " + dropped.joined(separator: " ")) }
        if !kept.isEmpty { parts.append("leaves \(kept.joined(separator: " ")) as it is (rename it by hand)") }
        return parts.joined(separator: " and ")
    }

    static func consoles(_ guest: GuestReport) -> [Finding] {
        guest.config.xenConsoleGettys.map { place in
            let file = String(place.prefix { $0 != ":" })
            return Finding(
                .warning, .xenConsoleGetty,
                "\(place): a login or root console on the Xen console; convert moves it to ttyS0", file: file)
        }
    }

    static func modules(_ guest: GuestReport) -> [Finding] {
        guest.config.xenModuleAliases.map { place in
            let file = String(place.prefix { $0 != ":" })
            let line = place.split(separator: ":", maxSplits: 2).last ?? ""
            let plan = XenModuleAlias.parse(line).map { XenModuleAlias.plan(device: $0.device, module: $0.module) }
            return Finding(
                .warning, .xenModuleAlias,
                "\(place): loads a Xen driver, which a KVM guest has no device for; \(plan ?? "convert changes it")",
                file: file)
        }
    }

    static func selinux(_ guest: GuestReport) -> [Finding] {
        guard let mode = guest.config.selinux, mode == "enforcing" || mode == "permissive" else { return [] }
        return [
            Finding(
                .warning, .selinuxRelabel,
                "/etc/selinux/config: SELinux is \(mode); files rewritten by convert lose their labels, so it "
                    + "relabels (setfiles in the guest, or /.autorelabel for the first boot)",
                file: "/etc/selinux/config")
        ]
    }

    static func network(_ guest: GuestReport) -> [Finding] {
        var result = guest.config.hardwareAddressFiles.map { file in
            Finding(
                .warning, .networkHwaddr,
                "\(file): HWADDR= pins the Xen MAC address; the KVM NIC has another, so convert drops the line",
                file: file)
        }
        if let rules = guest.config.persistentNetRules {
            result.append(
                Finding(
                    .warning, .persistentNetRules,
                    "\(rules): binds eth0 to the Xen MAC; under KVM the NIC would become eth1. convert empties it",
                    file: rules))
        }
        // What boots are the menu entries (GRUB_CMDLINE_LINUX_DEFAULT adds to them, so it need
        // not repeat the setting).
        let entries = guest.commandLines.filter { $0.kernel != nil }
        let keepsEthNames =
            !entries.isEmpty
            && entries.allSatisfy {
                $0.arguments.split(whereSeparator: \.isWhitespace).contains {
                    $0 == EthInterfaceNames.kernelArguments[0]
                }
            }
        if let file = guest.config.ethConfigsUnderSlotNames.first, !keepsEthNames {
            result.append(
                Finding(
                    .warning, .interfaceNames,
                    "\(file) configures an eth interface, but udev names a KVM virtio NIC by its slot (ens3, say): "
                        + "the guest would come up without network. convert adds "
                        + EthInterfaceNames.kernelArguments.joined(separator: " ") + " to "
                        + "the kernel command line",
                    file: file))
        }
        return result
    }

    static func caches(_ guest: GuestReport) -> [Finding] {
        guest.config.staleCaches.map { file in
            Finding(
                .info, .staleDeviceCache,
                "\(file): a device cache from the Xen host; convert deletes it (it is rebuilt on boot)",
                file: file)
        }
    }
}
