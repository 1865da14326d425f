import GuestSession

/// Relabels an SELinux guest with its own `setfiles` after the other fixes, so that it boots
/// with correct labels at once; /.autorelabel (created by the selinux-relabel edit) stays as
/// the fallback when setfiles is missing or fails, and the guest then relabels on first boot.
///
/// setfiles only writes security.selinux attributes: it runs on a host without SELinux too.
struct SELinuxRelabel {
    static let program = "setfiles"
    static let setfilesPaths = ["/usr/sbin/setfiles", "/sbin/setfiles"]

    enum Outcome {
        /// No /.autorelabel: nothing to relabel.
        case notNeeded
        case notRun(reason: String)
        case ran(ProgramRun)
        /// setfiles failed: /.autorelabel is kept.
        case failed(ProgramRun)
    }

    let session: GuestSession

    func run(in root: GuestRoot) async throws(GuestFixFailure) -> Outcome {
        guard root.isFile(SELinuxRelabelEdit.marker) else { return .notNeeded }
        // Labels are security.* attributes, which only a host-privileged process may set on a
        // filesystem the host mounted: contained, the guest's root cannot.
        guard session.programs.trusted else {
            return .notRun(
                reason: "contained guest programs cannot set SELinux labels: /.autorelabel relabels on the first "
                    + "boot (--trust-guest runs the guest's setfiles now)")
        }
        guard let setfiles = Self.setfilesPaths.first(where: { root.isFile($0) }) else {
            return .notRun(reason: "no setfiles in the guest: /.autorelabel relabels on the first boot")
        }
        let type: String
        do {
            type = Self.policyType(try root.read(SELinuxRelabelEdit.config) ?? "")
        } catch {
            throw .edit(error)
        }
        let contexts = "/etc/selinux/\(type)/contexts/files/file_contexts"
        guard root.isFile(contexts) else {
            return .notRun(reason: "no \(contexts) in the guest: /.autorelabel relabels on the first boot")
        }
        // /proc, /sys and /dev are the session's mounts, not the guest's files.
        let arguments = ["-F", "-e", "/proc", "-e", "/sys", "-e", "/dev", contexts, "/"]
        let run: ProgramRun
        do {
            run = try await session.run(setfiles, arguments, allowFailure: true)
        } catch {
            throw .session(error)
        }
        guard run.exitStatus == 0 else { return .failed(run) }
        do {
            try root.remove(SELinuxRelabelEdit.marker)
        } catch {
            throw .edit(error)
        }
        return .ran(run)
    }

    /// SELINUXTYPE= of /etc/selinux/config; "targeted" (the RHEL default) when unset.
    static func policyType(_ config: String) -> String {
        // A name, never a path: the guest's config must not point setfiles elsewhere.
        guard let value = SELinuxRelabelEdit.value(of: "SELINUXTYPE", in: config), !value.isEmpty,
            !value.contains("/"), value != ".."
        else { return "targeted" }
        return value
    }
}
