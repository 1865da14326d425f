/// Which bootloader configuration the guest carries and the kernel command lines in it.
public struct BootloaderFacts: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case grubLegacy = "grub-legacy"
        case grub2
        case none
    }

    public var kind: Kind
    /// Config files found (after symlinks: the path as named, e.g. /boot/grub/menu.lst).
    public var configFiles: [String]
    public var commandLines: [KernelCommandLine]
    /// The kernel the default menu entry boots, when it can be told (grub legacy `default`).
    public var defaultKernel: String?
    /// grub legacy `root (hd0)`: the partitionless Xen disk; KVM needs `(hd0,0)`.
    public var partitionlessRoot: [Location]
}

/// A file and 1-based line number, for findings that point at the text.
public struct Location: Sendable, Codable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var description: String { "\(file):\(line)" }
}

/// Kernel arguments on one line of a bootloader config.
public struct KernelCommandLine: Sendable, Codable, Equatable {
    public var location: Location
    /// The kernel image the line boots; nil for /etc/default/grub variables.
    public var kernel: String?
    public var arguments: String
}

/// The settings grub-mkconfig turns into grub.cfg. EL7+ also has /etc/sysconfig/grub, as a
/// symlink to /etc/default/grub, or as a file of its own once a `sed -i` on it broke the link:
/// both are read and edited, a file reachable under both names once (`ConfigFiles.distinct`).
public enum GrubDefaults {
    public static let files = ["/etc/default/grub", "/etc/sysconfig/grub"]
}

/// Where EL8+ and Fedora 30+ keep their kernel command lines besides /etc/default/grub.
public enum BootLoaderSpec {
    /// Boot Loader Specification entries, one file a kernel: grub2's `blscfg` reads them.
    public static let entries = "/boot/loader/entries"
    /// grub2's environment block: EL8 entries say `options $kernelopts`, set here.
    public static let grubenv = "/boot/grub2/grubenv"
    /// The command line kernel-install (and newer grubby) gives new kernels' entries.
    public static let kernelCmdline = "/etc/kernel/cmdline"

    /// The entry files (`*.conf`), sorted.
    public static func entryFiles(_ guest: some GuestFileSource) -> [String] {
        guest.names(in: entries).filter { $0.hasSuffix(".conf") }.sorted().map { "\(entries)/\($0)" }
            .filter { guest.isFile($0) }
    }
}

enum BootloaderScanner {
    static let legacyConfigs = ["/boot/grub/menu.lst", "/boot/grub/grub.conf", "/etc/grub.conf"]
    static let grub2Configs = ["/boot/grub2/grub.cfg", "/boot/grub/grub.cfg"] + GrubDefaults.files
    static let blsDirectory = BootLoaderSpec.entries
    static let grubenv = BootLoaderSpec.grubenv
    static let kernelCmdline = BootLoaderSpec.kernelCmdline

    static func scan(_ guest: some GuestFileSource) -> BootloaderFacts {
        let legacy = legacyConfigs.filter { guest.isFile($0) }
        let grub2 = grub2Configs.filter { guest.isFile($0) }
        // Both may exist (a Debian guest keeps menu.lst for pygrub next to grub.cfg); grub
        // legacy never reads /etc/default/grub, so its presence marks a grub2 system.
        let kind: BootloaderFacts.Kind
        if !grub2.isEmpty && (legacy.isEmpty || grub2.contains(where: GrubDefaults.files.contains)) {
            kind = .grub2
        } else if !legacy.isEmpty {
            kind = .grubLegacy
        } else {
            kind = .none
        }
        let bls = BootLoaderSpec.entryFiles(guest)
        var facts = BootloaderFacts(
            kind: kind, configFiles: legacy + grub2 + bls, commandLines: [], defaultKernel: nil,
            partitionlessRoot: [])
        // One file may be reachable under several names (menu.lst -> grub.conf): read it once.
        var seen = Set<String>()
        for path in legacy {
            let lines = guest.lines(path)
            guard seen.insert(lines.joined(separator: "\n")).inserted else { continue }
            readLegacy(path: path, lines: lines, into: &facts)
        }
        for path in grub2 {
            let lines = guest.lines(path)
            guard seen.insert(lines.joined(separator: "\n")).inserted else { continue }
            if GrubDefaults.files.contains(path) {
                readDefaultGrub(path: path, lines: lines, into: &facts)
            } else {
                readGrubCfg(path: path, lines: lines, into: &facts)
            }
        }
        for path in bls { readBLSEntry(path: path, lines: guest.lines(path), into: &facts) }
        for (path, key) in [(grubenv, "kernelopts="), (kernelCmdline, "")] {
            for (number, line) in guest.lines(path).enumerated() where line.hasPrefix(key) && !line.hasPrefix("#") {
                guard !line.dropFirst(key.count).isEmpty else { continue }
                facts.commandLines.append(
                    KernelCommandLine(
                        location: Location(file: path, line: number + 1), kernel: nil,
                        arguments: String(line.dropFirst(key.count))))
            }
        }
        return facts
    }

    /// A BLS entry: `linux /vmlinuz-VER` and `options ARGUMENTS`.
    static func readBLSEntry(path: String, lines: [String], into facts: inout BootloaderFacts) {
        let keyed = lines.map { $0.trimmingWhitespace().split(separator: " ", maxSplits: 1) }
        let image = keyed.first { $0.first == "linux" && $0.count == 2 }.map { String($0[1].trimmingWhitespace()) }
        for (number, parts) in keyed.enumerated() where parts.first == "options" {
            facts.commandLines.append(
                KernelCommandLine(
                    location: Location(file: path, line: number + 1), kernel: image,
                    arguments: parts.count > 1 ? String(parts[1].trimmingWhitespace()) : ""))
        }
    }

    /// menu.lst / grub.conf: `default N`, `root (hd0)`, `kernel /vmlinuz-… args`.
    static func readLegacy(path: String, lines: [String], into facts: inout BootloaderFacts) {
        var defaultIndex = 0
        var kernels: [String] = []
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingWhitespace()
            // Debian's update-grub (grub legacy) keeps its options in magic comments and
            // writes them back into every entry: they count as command lines too.
            for magic in ["# kopt=", "# defoptions=", "# xenkopt="] where line.hasPrefix(magic) {
                facts.commandLines.append(
                    KernelCommandLine(
                        location: Location(file: path, line: number + 1), kernel: nil,
                        arguments: String(line.dropFirst(magic.count))))
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" })
            guard let keyword = words.first?.lowercased() else { continue }
            let location = Location(file: path, line: number + 1)
            switch keyword {
            case "default":
                if words.count > 1, let value = Int(words[1]) { defaultIndex = value }
            case "root":
                let device = words.dropFirst().joined(separator: " ")
                if device.hasPrefix("(hd"), !device.contains(",") { facts.partitionlessRoot.append(location) }
            case "kernel":
                let parts = line.dropFirst("kernel".count).trimmingWhitespace().split(
                    separator: " ", maxSplits: 1)
                guard let image = parts.first else { continue }
                kernels.append(String(image))
                facts.commandLines.append(
                    KernelCommandLine(
                        location: location, kernel: String(image),
                        arguments: parts.count > 1 ? String(parts[1]) : ""))
            default:
                continue
            }
        }
        // `default -1` (any number a damaged or hostile menu.lst holds) names no entry.
        if facts.defaultKernel == nil, kernels.indices.contains(defaultIndex) {
            facts.defaultKernel = kernels[defaultIndex]
        }
    }

    /// grub.cfg: `linux`, `linux16`, `linuxefi` lines inside menu entries.
    static func readGrubCfg(path: String, lines: [String], into facts: inout BootloaderFacts) {
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingWhitespace()
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, ["linux", "linux16", "linuxefi"].contains(String(parts[0])) else {
                continue
            }
            let arguments = parts.dropFirst(2).joined(separator: " ")
            facts.commandLines.append(
                KernelCommandLine(
                    location: Location(file: path, line: number + 1), kernel: String(parts[1]),
                    arguments: arguments))
        }
    }

    /// /etc/default/grub: GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT.
    static func readDefaultGrub(path: String, lines: [String], into facts: inout BootloaderFacts) {
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingWhitespace()
            guard line.hasPrefix("GRUB_CMDLINE_LINUX"), let equals = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: equals)...]
            if let quote = value.first, quote == "\"" || quote == "'" {
                value = value.dropFirst()
                if value.last == quote { value = value.dropLast() }
            }
            facts.commandLines.append(
                KernelCommandLine(
                    location: Location(file: path, line: number + 1), kernel: nil, arguments: String(value)))
        }
    }
}
