import Inspection

/// One `disk=` entry, read the way libxlu's disk lexer reads it (xl-disk-configuration):
/// comma-separated parameters, `key=value` ones anywhere, `target=` taking the rest of the
/// string (commas included), deprecated prefixes before the target (`phy:`, `tap:aio:`,
/// `qcow2:`, `iscsi:` …), then the positional ones: target, format, vdev, access — where a
/// deprecated prefix skips the format (so `phy:/dev/vg/lv,xvda1,w` is target, vdev, access).
///
/// An xm entry is `uname,dev,mode`: always as if it had a prefix, even when it has none.
struct DiskSpec {
    static let formats = ["raw", "qcow", "qcow2", "vhd", "qed", "empty"]
    static let backendPrefixes = ["phy", "file", "tap", "tap2", "tapdisk", "aio", "ioemu"]
    static let formatPrefixes = ["raw", "qcow", "qcow2", "vhd"]
    /// Prefixes libxlu turns into a block-NAME hotplug script: the disk is on the network.
    static let scriptPrefixes = ["iscsi", "nbd", "enbd", "drbd"]

    var disk = XenDisk(target: "", vdev: "")
    var problems: [String] = []
    private var targetSet = false
    private var formatSet = false
    private var vdevSet = false
    private var accessSet = false
    private var hadPrefix: Bool
    private var prefixes: [String] = []

    /// Parses `spec`; `problems` says what xl would not accept.
    init(_ spec: String, dialect: ConfigDialect) {
        hadPrefix = dialect == .xm
        var rest = Substring(spec)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "\n" }
            if rest.hasPrefix("target=") {
                var target = rest.dropFirst("target=".count)
                while target.hasSuffix(",") { target = target.dropLast() }
                setTarget(String(target))
                break
            }
            if !targetSet, let prefix = Self.leadingPrefix(of: rest) {
                rest = rest.dropFirst(prefix.count + 1)
                takePrefix(prefix)
                continue
            }
            let end = rest.firstIndex(of: ",") ?? rest.endIndex
            let parameter = String(rest[..<end])
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            if let equals = parameter.firstIndex(of: "=") {
                keyValue(String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...]))
            } else if !flag(parameter) {
                positional(parameter)
            }
        }
        if !prefixes.isEmpty { disk.prefix = prefixes.joined(separator: ":") }
    }

    /// The `name:` at the start of `text` when libxlu reads it as a prefix: one it knows, or any
    /// `word:` not followed by a letter or digit (`hdc:cdrom` and `rbd:pool/x` are not prefixes).
    private static func leadingPrefix(of text: Substring) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let word = String(text[..<colon])
        guard let first = word.first, first.isLowercase,
            word.allSatisfy({ ($0.isLowercase || $0.isNumber) && $0.isASCII })
        else { return nil }
        if backendPrefixes.contains(word) || formatPrefixes.contains(word) || scriptPrefixes.contains(word) {
            return word
        }
        let after = text[text.index(after: colon)...].first
        if let after, after.isASCII && (after.isLowercase || after.isNumber) { return nil }
        return word
    }

    private mutating func takePrefix(_ prefix: String) {
        hadPrefix = true
        prefixes.append(prefix)
        if Self.formatPrefixes.contains(prefix) {
            setFormat(prefix)
        } else if Self.scriptPrefixes.contains(prefix) {
            disk.script = "block-" + prefix
        } else if !Self.backendPrefixes.contains(prefix) {
            problems.append("`\(prefix):` is no disk prefix xl knows")
        }
    }

    private mutating func setTarget(_ target: String) {
        targetSet = true
        disk.target = target
    }

    private mutating func setFormat(_ format: String) {
        formatSet = true
        if format.isEmpty || Self.formats.contains(format) {
            disk.format = format.isEmpty ? "raw" : format
        } else {
            problems.append("`\(format)` is no disk format xl knows")
        }
    }

    private mutating func setAccess(_ access: String) {
        accessSet = true
        switch access {
        case "r", "ro": disk.access = .readOnly
        case "w", "rw", "": disk.access = .readWrite
        case "w!": disk.access = .sharedWrite
        default: problems.append("`\(access)` is no disk access xl knows (r, ro, w, rw)")
        }
    }

    /// `xvda1`, or the old `hdc:cdrom` / `xvdb:disk` form; false when it is neither.
    private mutating func setVdev(_ text: String, allowPlain: Bool) -> Bool {
        var vdev = Substring(text)
        if vdev.hasPrefix("ioemu:") { vdev = vdev.dropFirst("ioemu:".count) }
        if let colon = vdev.lastIndex(of: ":") {
            switch vdev[vdev.index(after: colon)...] {
            case "cdrom": disk.kind = .cdrom
            case "disk": disk.kind = .disk
            default: problems.append("`\(text)`: unknown device type after the colon")
            }
            vdev = vdev[..<colon]
        } else if !allowPlain {
            return false
        }
        vdevSet = true
        disk.vdev = String(vdev)
        return true
    }

    private mutating func keyValue(_ key: String, _ value: String) {
        switch key {
        case "format": setFormat(value)
        case "access": setAccess(value)
        case "vdev": _ = setVdev(value, allowPlain: true)
        case "devtype":
            switch value {
            case "cdrom": disk.kind = .cdrom
            case "disk": disk.kind = .disk
            default: problems.append("`devtype=\(value)` is no device type xl knows")
            }
        case "backendtype":
            if prefixes.isEmpty { prefixes = [value] }
            if !["phy", "tap", "qdisk"].contains(value) {
                problems.append("`backendtype=\(value)` is no backend xl knows")
            }
        case "script": disk.script = value
        case "backend", "colo-host", "colo-port", "colo-export", "active-disk", "hidden-disk", "specification":
            break
        default: problems.append("`\(key)=` is no disk parameter xl knows")
        }
    }

    private mutating func flag(_ parameter: String) -> Bool {
        switch parameter {
        case "cdrom": disk.kind = .cdrom
        case "direct-io-safe", "discard", "no-discard", "colo", "no-colo": break
        default: return false
        }
        return true
    }

    private mutating func positional(_ parameter: String) {
        if !targetSet {
            setTarget(parameter)
        } else if !hadPrefix && !formatSet {
            if disk.target.isEmpty && setVdev(parameter, allowPlain: false) {
                formatSet = true
                disk.format = "empty"
            } else if Self.formats.contains(parameter) || parameter.isEmpty {
                setFormat(parameter)
            } else if XenDeviceName(parameter.split(separator: ":").first ?? "") != nil {
                // xm's `/dev/vg/lv,xvda1,w`: xl would stop here ("unknown value for format").
                problems.append(
                    "the target has no prefix, so xl reads `\(parameter)` as a format; write `phy:` before it")
                hadPrefix = true
                _ = setVdev(parameter, allowPlain: true)
            } else {
                setFormat(parameter)
            }
        } else if !vdevSet {
            _ = setVdev(parameter, allowPlain: true)
        } else if !accessSet {
            setAccess(parameter)
        } else {
            problems.append("too many positional parameters (`\(parameter)`)")
        }
    }
}
