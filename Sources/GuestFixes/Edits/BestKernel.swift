import Inspection

/// The kernel a converted guest boots: not Xen-only, not a debug build; one with virtio first,
/// then the newest (`VersionOrder`). One choice for DEFAULTKERNEL's package (`sysconfig-kernel`),
/// the grub2 default the helper sets (`XEN2KVM_DEFAULT_KERNEL`) and `GRUB_DEFAULT=saved` where
/// grub-mkconfig would list another kernel first (`grub2-defaults`).
enum BestKernel {
    static func choose(_ kernels: [KernelFacts]) -> KernelFacts? {
        bootable(kernels).filter { !$0.version.hasSuffix("debug") }.max { a, b in
            a.virtio != b.virtio ? !a.virtio : VersionOrder.less(a.version, b.version)
        }
    }

    /// The kernels a KVM guest can boot, whose initrds the helper rebuilds (`XEN2KVM_KERNELS`);
    /// rescue images aside (EL's 0-rescue-MACHINEID: no version, no modules of their own).
    static func bootable(_ kernels: [KernelFacts]) -> [KernelFacts] {
        kernels.filter { !$0.xenOnly && !$0.version.contains("rescue") }
    }

    /// The kernel grub-mkconfig puts first (it sorts /boot by version, newest first, whatever the
    /// kernel can boot), when it is not the chosen one: grub2 would boot it unless told otherwise.
    static func listedBefore(_ kernels: [KernelFacts]) -> KernelFacts? {
        let listed = kernels.filter { !$0.version.contains("rescue") }
        guard let best = choose(kernels), let first = listed.max(by: { VersionOrder.less($0.version, $1.version) }),
            first.version != best.version
        else { return nil }
        return first
    }
}

/// Kernel versions in the order they were released: numbers compared as numbers
/// (2.6.32-754 after 2.6.32-96), everything else as text.
enum VersionOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        let (left, right) = (parts(a), parts(b))
        for (x, y) in zip(left, right) where x != y {
            if let m = Int(x), let n = Int(y) { return m < n }
            return x < y
        }
        return left.count < right.count
    }

    /// "2.6.18-419.el5" → ["2", "6", "18", "419", "el", "5"].
    static func parts(_ version: String) -> [String] {
        var parts: [String] = []
        var current = ""
        for character in version {
            let joins = current.isEmpty || (current.last!.isNumber == character.isNumber && character.isLetterOrNumber)
            if !joins || !character.isLetterOrNumber {
                if !current.isEmpty { parts.append(current) }
                current = character.isLetterOrNumber ? String(character) : ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }
}

extension Character {
    fileprivate var isLetterOrNumber: Bool { isLetter || isNumber }
}
