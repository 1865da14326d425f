import Inspection

/// Which of the four forms a definition file is written in.
public enum DefinitionForm: String, Sendable, Codable, CaseIterable {
    /// xl.cfg, read with libxlu's grammar.
    case xl
    /// An xm config: Python syntax, read (never run) as far as it is plain assignments.
    case xm
    /// `xl -N create CFG` output: libxl's domain configuration as JSON.
    case xlJSON = "xl-json"
    /// `virsh dumpxml --inactive` of a Xen domain.
    case libvirtXML = "libvirt-xml"
}

/// A guest definition read: the model, what stands in the way and what was noticed, and the
/// KVM device names its disks get.
public struct XenDefinition: Sendable, Codable, Equatable {
    public var form: DefinitionForm
    public var guest: XenGuest
    /// Blockers (the move cannot go on until the operator acts), warnings and notes, each with a
    /// stable code, as Inspection's findings.
    public var findings: [Finding]
    public var deviceMap: DeviceMap

    public var readiness: Readiness {
        if findings.contains(where: { $0.severity == .blocker }) { return .blocked }
        if findings.contains(where: { $0.severity == .warning }) { return .fixable }
        return .ready
    }
}

/// The definition could not be read at all (as opposed to read with blockers).
public struct XenDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// 1-based line of the definition, when known.
    public var line: Int?

    public init(_ message: String, line: Int? = nil) {
        self.message = message
        self.line = line
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

public enum XenDefinitionReader {
    /// Reads a definition. `form` nil: found from the text (`DefinitionForm.detect`).
    /// `wholeDiskContent` says, for a whole-disk vdev (`xvdb`), whether it holds a partition
    /// table; the caller that inspected the disk knows. nil (the default): a bare filesystem is
    /// assumed, and the map says so.
    public static func read(
        _ text: String, form: DefinitionForm? = nil, source: String? = nil,
        wholeDiskContent: (XenDisk) -> DeviceMap.WholeDiskContent? = { _ in nil }
    ) throws(XenDefinitionError) -> XenDefinition {
        let form = form ?? DefinitionForm.detect(text)
        var notes = Notes(source: source)
        var guest: XenGuest
        switch form {
        case .xl, .xm:
            let dialect: ConfigDialect = form == .xm ? .xm : .xl
            var parser = ConfigParser(text: text, dialect: dialect)
            let settings: ConfigSettings
            do {
                settings = try parser.parse(into: &notes)
            } catch let error where dialect == .xl {
                // libxlu stops at the first error; Python is the usual reason.
                throw XenDefinitionError(error.message + " (an xm config? read it as one: form xm)", line: error.line)
            }
            guest = GuestFromSettings.build(settings, dialect: dialect, notes: &notes)
        case .xlJSON:
            guest = try LibxlJSONReader.read(text, notes: &notes)
        case .libvirtXML:
            guest = try LibvirtXMLReader.read(text, notes: &notes)
        }
        StableMAC.fillMissing(in: &guest, notes: &notes)
        GuestChecks.check(guest, notes: &notes)
        let map = DeviceMap(guest, wholeDiskContent: wholeDiskContent, notes: &notes)
        return XenDefinition(form: form, guest: guest, findings: notes.findings, deviceMap: map)
    }
}
