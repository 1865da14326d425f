import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// `--accel auto` remembers a failed KVM probe until the host reboots, so a fleet's later
/// boot checks go straight to TCG instead of spending the probe again. Only the failure is
/// remembered: TCG is always right (only slower), whereas KVM working for one guest says
/// nothing certain about the next. Keyed by the kernel's boot id; kept in /run (tmpfs).
enum KVMProbeMemory {
    static let path = "/run/xen2kvm/kvm-probe"

    /// Why KVM was given up, if it was since this boot.
    static func recalled() -> String? {
        guard let text = HostFiles.read(path), let bootID = currentBootID() else { return nil }
        let lines = text.split(separator: "\n", maxSplits: 1).map(String.init)
        guard lines.count == 2, lines[0] == bootID else { return nil }
        return lines[1]
    }

    static func remember(_ reason: String) {
        guard let bootID = currentBootID() else { return }
        _ = mkdir("/run/xen2kvm", 0o700)
        let temporary = "\(path).\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let text = "\(bootID)\n\(reason)\n"
        let written = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        if written > 0 { _ = rename(temporary, path) } else { _ = unlink(temporary) }
    }

    static func currentBootID() -> String? {
        HostFiles.value("/proc/sys/kernel/random/boot_id")
    }
}
