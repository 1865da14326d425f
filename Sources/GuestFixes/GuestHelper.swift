import GuestSession
import HostSystem
import Inspection

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a profile's guest helper (helpers/<profile>, or a user's script given as --profile
/// PATH) inside the guest, for the steps that need the guest's own programs: initrd rebuild,
/// grub configuration, bootloader install. The contract is the environment below; see the
/// README ("Guest helpers").
struct GuestHelper {
    static let steps = ["initrd", "grub-config", "bootloader"]
    /// Where the helper and the prelude every bundled helper sources (helpers/prelude) are put.
    static let inside = "/tmp/xen2kvm-helper"
    static let prelude = "/tmp/xen2kvm-prelude"

    let context: FixContext
    let session: GuestSession
    var profile: String { context.profile }

    /// Where the bundled helpers live: $XEN2KVM_HELPERS_DIR; else beside an installed binary
    /// (`make install` puts them in PREFIX/lib/xen2kvm/helpers next to PREFIX/bin/xen2kvm), so
    /// a binary copied to a migration host finds them; else helpers/ of this source tree.
    static var helpersDirectory: String {
        if let value = getenv("XEN2KVM_HELPERS_DIR") { return String(cString: value) }
        if let installed = installedHelpersDirectory { return installed }
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/helpers"
    }

    /// PREFIX/lib/xen2kvm/helpers for the running PREFIX/bin/xen2kvm, when that folder exists.
    static var installedHelpersDirectory: String? {
        guard let executable = HostFiles.ownExecutable else { return nil }
        var parts = executable.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        parts.removeLast(2)
        let candidate = parts.joined(separator: "/") + "/lib/xen2kvm/helpers"
        var info = stat()
        return stat(candidate, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR ? candidate : nil
    }

    var scriptPath: String { Self.scriptPath(for: profile) }

    /// The helper a profile runs: a user's script given by path, or the bundled one.
    static func scriptPath(for profile: String) -> String {
        profile.contains("/") ? profile : "\(helpersDirectory)/\(profile)"
    }

    /// The contract, as environment variables for the helper. `XEN2KVM_GRUBBY_ARGS` and
    /// `XEN2KVM_GRUBBY_REMOVE_ARGS` are set when the helper is to run grubby on the BLS entries.
    static func environment(
        context: FixContext, root: GuestRoot, partitionStart: UInt64
    ) throws(GuestFixError) -> [String: String] {
        let guest = context.guest
        let kernels = BestKernel.bootable(guest.kernels).map(\.version)
        var environment = [
            "XEN2KVM_DISK": "/dev/vda", "XEN2KVM_ROOT_PARTITION": "/dev/vda1", "XEN2KVM_PROFILE": context.profile,
            "XEN2KVM_KERNELS": kernels.joined(separator: " "), "XEN2KVM_BOOTLOADER": guest.bootloader.rawValue,
            "XEN2KVM_PARTITION_START": "\(partitionStart)", "XEN2KVM_STEPS": steps.joined(separator: " "),
            "XEN2KVM_PRELUDE": prelude,
        ]
        if let best = BestKernel.choose(guest.kernels) { environment["XEN2KVM_DEFAULT_KERNEL"] = best.image }
        if BootLoaderSpecEdit.grubbyUpdates(GuestView(root), context: context) {
            let (add, remove) = try BootLoaderSpecEdit.grubbyArguments(GuestView(root), context: context)
            if !add.isEmpty { environment["XEN2KVM_GRUBBY_ARGS"] = add.joined(separator: " ") }
            if !remove.isEmpty { environment["XEN2KVM_GRUBBY_REMOVE_ARGS"] = remove.joined(separator: " ") }
        }
        return environment
    }

    /// Puts the helper and the prelude into the guest's /tmp.
    static func install(script scriptPath: String, profile: String, in root: GuestRoot) throws(GuestFixFailure) {
        for (path, source) in [(inside, scriptPath), (prelude, "\(helpersDirectory)/prelude")] {
            guard let text = HostFiles.read(source) else {
                throw .refused("no guest helper \(source) for profile \(profile)")
            }
            do {
                try root.write(path, text, mode: 0o755)
            } catch {
                throw .edit(error)
            }
        }
    }

    func run(in root: GuestRoot) async throws(GuestFixFailure) -> ProgramRun {
        let environment: [String: String]
        do {
            let start = session.partitions.first { $0.number == 1 }.map { $0.startBytes / 512 } ?? 2048
            environment = try Self.environment(context: context, root: root, partitionStart: start)
            try Self.install(script: scriptPath, profile: profile, in: root)
        } catch let error as GuestFixFailure {
            throw error
        } catch let error as GuestFixError {
            throw .edit(error)
        } catch {
            throw .refused("cannot install the guest helper \(scriptPath): \(error)")
        }
        defer { for path in [Self.inside, Self.prelude] { try? root.remove(path) } }
        do {
            var run = try await session.run("/bin/sh", [Self.inside], environment: environment)
            // Reported as the helper itself; the copy it ran from is an implementation detail.
            run.program = scriptPath
            run.arguments = []
            return run
        } catch {
            throw .session(error)
        }
    }
}

/// Without udev the host's names (/dev/loopNpM) could leak into grub.cfg or fstab through a
/// guest program; a converted guest must never carry them.
enum HostNameCheck {
    static let files = ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/etc/fstab", "/boot/grub/menu.lst"]

    /// Those and the command lines EL8+ keeps elsewhere (grubby and grub2-mkconfig write them).
    static func files(in root: GuestRoot) -> [String] {
        files + BootLoaderSpec.entryFiles(root) + [BootLoaderSpec.grubenv, BootLoaderSpec.kernelCmdline]
    }

    static func leaks(in root: GuestRoot) throws(GuestFixFailure) -> [String] {
        var found: [String] = []
        for file in files(in: root) {
            let text: String?
            do {
                text = try root.read(file)
            } catch {
                throw .edit(error)
            }
            if let text, text.contains("/dev/loop") { found.append("\(file) names a /dev/loop device") }
        }
        return found
    }
}
