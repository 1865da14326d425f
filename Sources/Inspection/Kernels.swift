/// One kernel installed in the guest's /boot.
public struct KernelFacts: Sendable, Codable, Equatable {
    /// The version the file names carry: "2.6.18-419.el5xen", "6.1.0-26-amd64".
    public var version: String
    public var image: String
    /// Built for Xen PV only (CONFIG_X86_XEN / CONFIG_X86_64_XEN): cannot boot on KVM.
    public var xenOnly: Bool
    /// A virtio block driver exists for it: module file, modules.builtin, or =y in its config.
    public var virtio: Bool
    /// The initrd found for it, if any.
    public var initrd: String?
    /// Whether that initrd carries virtio_blk; nil when there is none or it could not be read.
    public var initrdHasVirtio: Bool?
    /// Why the initrd could not be read, when it could not.
    public var initrdProblem: String?
    /// Where `xenOnly` came from: "config" (its /boot/config-*), or "name" when no config exists.
    public var evidence: String
}

extension GuestReport {
    /// The kernel versions when every kernel in /boot is Xen-only (EL5's kernel-xen): the guest
    /// would boot none of them on KVM. nil when one boots on KVM, or when there is none (that is
    /// `no-kernel`). The one rule behind inspection's `only-xen-kernels` blocker, convert's plan
    /// check "a kernel that boots on KVM" and fix's refusal; each says it in its own context.
    public var onlyXenKernels: [String]? {
        guard !kernels.isEmpty, kernels.allSatisfy(\.xenOnly) else { return nil }
        return kernels.map(\.version)
    }
}

/// Finds kernels in /boot and what each can do.
enum KernelScanner {
    static let imagePrefixes = ["vmlinuz-", "vmlinux-", "kernel-"]
    static let moduleRoots = ["/lib/modules", "/usr/lib/modules"]

    /// `readInitrds: false` skips opening initrds (they can be large): `convert` plans with
    /// that, keeping its memory small; `initrdHasVirtio` then stays nil.
    static func scan(_ guest: some GuestFileSource, readInitrds: Bool = true) -> [KernelFacts] {
        let bootNames = guest.names(in: "/boot")
        var kernels: [KernelFacts] = []
        for name in bootNames {
            guard let prefix = imagePrefixes.first(where: { name.hasPrefix($0) }) else { continue }
            let suffix = String(name.dropFirst(prefix.count))
            // SUSE keeps a compressed copy of the uncompressed kernel for debugging: vmlinux-VER.gz.
            guard !suffix.isEmpty, !suffix.hasSuffix(".gz"), guest.isFile("/boot/\(name)") else { continue }
            kernels.append(
                facts(
                    for: moduleVersion(named: suffix, guest), image: "/boot/\(name)", bootNames: bootNames,
                    readInitrd: readInitrds, initrdSuffix: suffix, guest))
        }
        return kernels.sorted { $0.version < $1.version }
    }

    /// Arch names its kernel by package (/boot/vmlinuz-linux, initramfs-linux.img): the version
    /// is the module directory whose `pkgbase` file names that package. Other names are versions.
    static func moduleVersion(named suffix: String, _ guest: some GuestFileSource) -> String {
        for root in moduleRoots where !guest.exists("\(root)/\(suffix)") {
            for version in guest.names(in: root).sorted()
            where guest.lines("\(root)/\(version)/pkgbase").first?.trimmingWhitespace() == suffix[...] {
                return version
            }
        }
        return suffix
    }

    /// `initrdSuffix` is what the initrd's name carries: the version, or Arch's package name.
    static func facts(
        for version: String, image: String, bootNames: [String], readInitrd: Bool = true,
        initrdSuffix: String? = nil, _ guest: some GuestFileSource
    ) -> KernelFacts {
        let config = guest.lines("/boot/config-\(version)")
        let settings = Set(config.filter { $0.hasPrefix("CONFIG_") })
        let xenOnly: Bool
        let evidence: String
        if config.isEmpty {
            // No config: the EL5 naming convention is the best evidence left.
            xenOnly = version.hasSuffix("xen")
            evidence = "name"
        } else {
            xenOnly = settings.contains("CONFIG_X86_XEN=y") || settings.contains("CONFIG_X86_64_XEN=y")
            evidence = "config"
        }
        let builtinByConfig = settings.contains("CONFIG_VIRTIO_BLK=y")
        let virtio = builtinByConfig || hasVirtioModule(version: version, guest)

        var kernel = KernelFacts(
            version: version, image: image, xenOnly: xenOnly, virtio: virtio, initrd: nil,
            initrdHasVirtio: nil, initrdProblem: nil, evidence: evidence)
        let suffix = initrdSuffix ?? version
        // EL5, EL6+/Fedora/Arch, Debian, SUSE.
        let initrdNames = [
            "initrd-\(suffix).img", "initramfs-\(suffix).img", "initrd.img-\(suffix)", "initrd-\(suffix)",
        ]
        if let initrd = initrdNames.first(where: { bootNames.contains($0) }) {
            kernel.initrd = "/boot/\(initrd)"
            guard readInitrd else { return kernel }
            do {
                let contents = try InitrdContents.read(
                    guest.readFile("/boot/\(initrd)", limit: 512 << 20))
                kernel.initrdHasVirtio = contents.hasModule("virtio_blk") || builtinByConfig
            } catch {
                kernel.initrdProblem = "\(error)"
            }
        }
        return kernel
    }

    static func hasVirtioModule(version: String, _ guest: some GuestFileSource) -> Bool {
        for root in moduleRoots {
            let dir = "\(root)/\(version)"
            let blockDir = "\(dir)/kernel/drivers/block"
            if guest.names(in: blockDir).contains(where: {
                $0 == "virtio_blk.ko" || $0.hasPrefix("virtio_blk.ko.")
            }) {
                return true
            }
            if guest.lines("\(dir)/modules.builtin").contains(where: { $0.hasSuffix("/virtio_blk.ko") }) {
                return true
            }
        }
        return false
    }
}
