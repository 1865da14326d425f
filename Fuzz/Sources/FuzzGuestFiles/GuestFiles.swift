import ExtFS
import Inspection

/// A guest in memory, made from the input of the guest harnesses: guest text files, NUL-separated, in the order of `paths`.
/// Piece N is the file at paths[N]; an empty (or missing) piece is a file that does not exist.
/// New paths go at the end, so the committed seeds keep their meaning (Fuzz/make-seeds writes
/// them in this order).
public struct GuestFiles: GuestFileSource {
    public static let paths = [
        "/etc/os-release", "/etc/centos-release", "/etc/redhat-release", "/etc/SuSE-release",
        "/etc/debian_version", "/etc/fstab", "/boot/grub/menu.lst", "/boot/grub/grub.conf",
        "/boot/grub2/grub.cfg", "/boot/grub/grub.cfg", "/etc/default/grub",
        "/boot/loader/entries/6.1.0.conf", "/boot/grub2/grubenv", "/etc/kernel/cmdline",
        "/etc/inittab", "/etc/securetty", "/etc/init/tty.conf", "/etc/modprobe.conf",
        "/etc/modprobe.d/xen.conf", "/etc/selinux/config",
        "/etc/sysconfig/network-scripts/ifcfg-eth0", "/etc/udev/rules.d/70-persistent-net.rules",
        "/etc/sysconfig/kernel", "/etc/crypttab", "/etc/initramfs-tools/conf.d/resume",
        "/etc/network/interfaces", "/etc/netplan/50-cloud-init.yaml",
        "/etc/systemd/network/10-eth0.network",
        "/etc/NetworkManager/system-connections/eth0.nmconnection",
        "/lib/udev/rules.d/80-net-setup-link.rules", "/boot/config-6.1.0",
        "/lib/modules/6.1.0/modules.builtin", "/lib/modules/6.1.0-arch/pkgbase",
        "/boot/vmlinuz-6.1.0", "/boot/vmlinuz-linux", "/boot/vmlinuz-2.6.18-xen",
        "/boot/initrd.img-6.1.0", "/etc/sysconfig/bootloader", "/boot/grub/device.map",
    ]

    /// Regular files by path, and every directory above them with its entries.
    public var files: [String: [UInt8]] = [:]
    public var directories: [String: Set<String>] = ["/": []]

    public init(_ bytes: [UInt8]) {
        let pieces = bytes.split(separator: 0, omittingEmptySubsequences: false)
        for (path, piece) in zip(Self.paths, pieces) where !piece.isEmpty {
            files[path] = Array(piece)
            var child = path
            while child != "/" {
                let cut = child.lastIndex(of: "/")!
                let parent = cut == child.startIndex ? "/" : String(child[..<cut])
                directories[parent, default: []].insert(String(child[child.index(after: cut)...]))
                child = parent
            }
        }
    }

    public func readText(_ path: String) throws -> String? {
        files[path].map { String(decoding: $0, as: UTF8.self) }
    }

    public func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        guard let file = files[path] else { throw ExtFSError.guestPathNotFound(path) }
        return Array(file.prefix(limit))
    }

    public func listDirectory(_ path: String) throws -> [GuestDirectoryEntry] {
        guard let names = directories[path] else { throw ExtFSError.guestPathNotFound(path) }
        return names.sorted().map { name in
            let child = path == "/" ? "/\(name)" : "\(path)/\(name)"
            return GuestDirectoryEntry(name: name, kind: files[child] == nil ? .directory : .file)
        }
    }

    public func kind(at path: String, followLast: Bool) -> GuestFileKind? {
        files[path] != nil ? .file : directories[path] != nil ? .directory : nil
    }
}
