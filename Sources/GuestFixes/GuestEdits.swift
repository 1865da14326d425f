import Inspection

/// The built-in edits, in the order they run, and applying their changes.
public enum GuestEdits {
    /// Edits join this list as they are written; each lives in its own file.
    public static var all: [any GuestEdit] {
        [
            // Device names first: the bootloader edits share their mapping.
            FstabEdit(), CrypttabEdit(), ResumeEdit(),
            // Bootloader and kernel command line.
            GrubLegacyEdit(), Grub2DefaultEdit(), Grub2ConfigEdit(), BootLoaderSpecEdit(), SysconfigBootloaderEdit(),
            // Console, drivers, default kernel, network.
            ConsoleEdit(), SystemdConsoleEdit(), ModprobeEdit(), SysconfigKernelEdit(), InitrdModulesEdit(),
            NetworkEdit(),
            // Cleanup, then the relabel marker, after every file is written.
            StaleCacheEdit(), SELinuxRelabelEdit(),
        ]
    }

    /// Every change the edits would make, computed without writing, from any read-only view of
    /// the guest (its mounted root, or its unmounted image). When two edits touch the same file,
    /// the later one sees the earlier one's result.
    public static func plan(
        _ guest: any GuestFileSource, context: FixContext, edits: [any GuestEdit] = all
    ) throws(GuestFixError) -> [FileChange] {
        let view = GuestView(guest)
        var changes: [FileChange] = []
        for edit in edits {
            for change in try edit.changes(in: view, context: context) {
                view.overlay[change.path] = .some(change.after)
                changes.append(change)
            }
        }
        return changes
    }

    /// Writes the changes (in order) into the guest.
    public static func apply(_ changes: [FileChange], to root: GuestRoot) throws(GuestFixError) {
        for change in changes {
            if let after = change.after {
                try root.write(change.path, after)
            } else {
                try root.remove(change.path)
            }
        }
    }
}
