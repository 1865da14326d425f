/// Every command xen2kvm runs on a remote host, in the one form the forced-command wrapper
/// (`ssh/xen2kvm-ssh-command`, installed as PREFIX/lib/xen2kvm/xen2kvm-ssh-command) can match
/// exactly: `exec sh -c 'BODY' xen2kvm-VERB 'ARG'...` — a fixed script per verb, the values
/// (paths, numbers, names) only as its arguments, never inside the script. Without the wrapper
/// the remote login shell runs the same line (`exec`: no shell of its own is left between sshd
/// and the command, whatever the login shell); with it, the wrapper checks the script is one
/// of these, checks each argument, and runs its own copy of the script.
///
/// Each body reads only, and holds no `'` (the wrapper's parser takes single-quoted words).
/// The wrapper holds a copy of each body (`VERB_body='…'`); RemoteCommandTests keeps the two
/// the same.
public enum RemoteCommand: String, CaseIterable, Sendable {
    /// PATH SIZE-ONLY-XEN2KVM FORMAT: size, e2image present, a remote xen2kvm that sends the
    /// format (or none when the second argument is empty), the superblock in hex.
    case probe
    /// PATH: `e2image -ra PATH -`.
    case e2image
    /// PATH: the whole volume.
    case dd
    /// PATH BLOCKSIZE (SKIP COUNT)...: runs of blocks one after the other.
    case backups
    /// PATH BYTES: the size, then the first BYTES.
    case head
    /// XEN2KVM send [OPTIONS] -- PATH: the x2k stream.
    case send
    /// PATH: a definition file, its path first.
    case definitionFile = "definition-file"
    /// NAME: /etc/xen/NAME.cfg, /etc/xen/NAME, or `virsh dumpxml --inactive NAME`.
    case definitionName = "definition-name"
    /// NAME: `xl list NAME` (or xm), running or not.
    case running
    /// PATH...: each path's device:inode, size, times, or "missing".
    case identities

    /// The remote PATH may lack the sbin directories (a non-root user's session).
    static let path = #"PATH="$PATH:/usr/sbin:/sbin"; export PATH; "#

    /// Size of a block device or a file (exit 3 when it is neither).
    static let size =
        #"if [ -b "$p" ]; then blockdev --getsize64 "$p" || exit 3; "#
        + #"elif [ -f "$p" ]; then stat -L -c %s "$p" || exit 3; "#
        + #"else echo "$p: no such block device or file" >&2; exit 3; fi; "#

    public var body: String {
        switch self {
        case .probe:
            return Self.path + #"p=$1; "# + Self.size
                + #"if command -v e2image >/dev/null 2>&1; then echo e2image; else echo none; fi; "#
                + #"if [ -n "$2" ] && x=$(PATH="$PATH:/usr/local/sbin:/usr/local/bin" command -v "$2") "#
                + #"&& "$x" send --format 2>/dev/null | grep -qx "x2k $3"; then echo "$x"; else echo none; fi; "#
                + #"dd if="$p" bs=1024 skip=1 count=1 status=none | od -An -v -tx1"#
        case .e2image: return Self.path + #"exec e2image -ra "$1" -"#
        case .dd: return Self.path + #"exec dd if="$1" bs=1M status=none"#
        case .backups:
            return #"p=$1; bs=$2; shift 2; while [ $# -ge 2 ]; do "#
                + #"dd if="$p" bs="$bs" skip="$1" count="$2" status=none || exit 1; shift 2; done"#
        case .head: return Self.path + #"p=$1; "# + Self.size + #"exec dd if="$p" bs="$2" count=1 status=none"#
        case .send: return Self.path + #"exec "$@""#
        case .definitionFile:
            return #"p=$1; [ -f "$p" ] || { echo "$p: no such file" >&2; exit 3; }; echo "$p"; exec cat -- "$p""#
        case .definitionName:
            return Self.path
                + #"for p in "/etc/xen/$1.cfg" "/etc/xen/$1"; do if [ -f "$p" ]; then echo "$p"; exec cat -- "$p"; fi; "#
                + #"done; if command -v virsh >/dev/null 2>&1; then echo "virsh dumpxml --inactive $1"; "#
                + #"exec virsh dumpxml --inactive "$1"; fi; "#
                + #"echo "no /etc/xen/$1.cfg or /etc/xen/$1, and no virsh to ask" >&2; exit 3"#
        case .running:
            return Self.path
                + #"for t in xl xm; do if command -v $t >/dev/null 2>&1; then "#
                + #"if $t list "$1" >/dev/null 2>&1; then echo "running $t"; else echo "stopped $t"; fi; "#
                + #"exit 0; fi; done; echo unknown"#
        case .identities:
            return #"for p in "$@"; do stat -L -c "%d:%i %s %Y %Z" -- "$p" 2>/dev/null || echo missing; done"#
        }
    }

    /// The command line sent over ssh.
    public func line(_ arguments: [String]) -> String {
        (["exec sh -c '\(body)' xen2kvm-\(rawValue)"] + arguments.map(Shell.quote)).joined(separator: " ")
    }
}
