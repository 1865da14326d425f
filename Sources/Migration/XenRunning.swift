import HostSystem

/// Whether the guest still runs on a Xen host this machine can see: `xl list NAME` (or `xm
/// list NAME` on older hosts) exits 0 only for a domain that exists, i.e. runs. Where neither
/// tool is installed nothing can be seen, and convert's own check of the disks (held by
/// blkback, locked by QEMU) remains.
public enum XenRunning {
    public static let defaultPath = "/usr/sbin:/sbin:/usr/bin:/bin"

    public static func refusal(name: String, path: String = defaultPath) async -> String? {
        for tool in ["xl", "xm"] {
            guard let program = try? HostChild.resolve(tool, path: path),
                let outcome = try? await HostChild.run(
                    program, ["list", name], environment: ["PATH": path, "LC_ALL": "C"], keepingLines: 20)
            else { continue }
            guard outcome.status == 0 else { return nil }
            return "the guest \(name) is running on this Xen host (`\(tool) list \(name)` lists it): shut it down "
                + "first; a copy of a running guest's disks is not consistent"
        }
        return nil
    }
}
