import Foundation

/// A WebGuest on the Xen host of TestHosts: its disks in a directory only that host sees (a
/// bind onto `view`), its definition in that host's /etc/xen (web02.cfg, naming the disks
/// there), a second guest busy01 on the same disks, and a stand-in `xl` in its /usr/sbin that
/// lists busy01 as running and no other guest. Every command the KVM host runs there over ssh
/// is appended to `commands` (a ForceCommand), so a test can tell what was read.
public struct XenHostGuest: Sendable {
    public let guest: WebGuest
    public let directory: TemporaryDirectory
    /// Where the Xen host sees the guest's directory; empty here.
    public var view: String { directory.file("xen-view") }
    public var commands: String { directory.file("commands.log") }
    public static let running = "busy01"

    /// A stand-in for `xl list [NAME]`: busy01 runs, nothing else does (as xl answers for a
    /// domain that does not exist: exit 1).
    static let xl = """
        #!/bin/sh
        header='Name                                        ID   Mem VCPUs	State	Time(s)'
        case "$1" in
          list) ;;
          *) echo "xl stand-in: only list" >&2; exit 1 ;;
        esac
        case "$2" in
          ""|busy01) printf '%s\\nbusy01                                       7   512     1     -b----      42.0\\n' "$header" ;;
          *) echo "$2 is an invalid domain identifier (rc=-6)" >&2; exit 1 ;;
        esac

        """

    public init() async throws {
        guest = try await WebGuest()
        directory = try TemporaryDirectory(prefix: "xen2kvm-xenhost")
        let fm = FileManager.default
        try fm.createDirectory(atPath: view, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory.file("etc/xen"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory.file("sbin"), withIntermediateDirectories: true)
        try guest.definition(disks: view).write(
            toFile: directory.file("etc/xen/\(WebGuest.name).cfg"), atomically: true, encoding: .utf8)
        try guest.definition(disks: view, name: Self.running).write(
            toFile: directory.file("etc/xen/\(Self.running).cfg"), atomically: true, encoding: .utf8)
        try Self.xl.write(toFile: directory.file("sbin/xl"), atomically: true, encoding: .utf8)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.file("sbin/xl"))
        let log = """
            printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> '\(commands)'
            exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"

            """
        try log.write(toFile: directory.file("log-command.sh"), atomically: true, encoding: .utf8)
    }

    /// The commands run on the Xen host so far, one a line.
    public func commandsRun() -> String { (try? String(contentsOfFile: commands, encoding: .utf8)) ?? "" }

    /// Starts the two hosts with this guest on the Xen one, runs `body`, stops them. With
    /// `keyOptions` (`restrict,command="…"`) the key's own forced command runs instead of the
    /// logging one (no `commands` then). `sshd` lines go into the Xen host's sshd_config too.
    public func with<T>(keyOptions: String = "", sshd: [String] = [], _ body: (TestHosts) async throws -> T)
        async throws -> T
    {
        try await TestHosts.with(
            xenBinds: [.init(source: guest.directory.path, target: view)],
            xenLayers: [.init(directory.file("etc"), over: "/etc"), .init(directory.file("sbin"), over: "/usr/sbin")],
            xenSSHD: (keyOptions.isEmpty ? ["ForceCommand /bin/sh \(directory.file("log-command.sh"))"] : []) + sshd,
            xenKeyOptions: keyOptions, body)
    }
}
