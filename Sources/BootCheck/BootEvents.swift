/// What the console shows besides the stage: the swap areas the kernel activated, network
/// interfaces udev renamed, and the complaints that do not stop a boot but that an operator
/// wants to hear about (a second disk that is not attached, a unit that failed).
public struct BootEvents: Sendable, Codable, Equatable {
    /// Devices the kernel reported as activated swap ("Adding 261116k swap on /dev/vdb1.").
    public var swaps: [String] = []
    /// systemd's failures and device timeouts, as printed, at most `warningLimit` of them.
    public var warnings: [String] = []
    /// Network interfaces renamed during the boot, "eth0 → ens3" (the kernel's "ens3: renamed
    /// from eth0"): a guest whose network config names eth0 finds no eth0 under KVM then.
    public var renamedInterfaces: [String] = []

    static let warningMarks = ["Timed out waiting for device", "Dependency failed for", "[FAILED]"]
    static let warningLimit = 10

    public init(swaps: [String] = [], warnings: [String] = [], renamedInterfaces: [String] = []) {
        self.swaps = swaps
        self.warnings = warnings
        self.renamedInterfaces = renamedInterfaces
    }

    public static func read(_ text: String) -> BootEvents {
        var events = BootEvents()
        for line in ConsoleText.stripEscapes(text).split(whereSeparator: \.isNewline) {
            if let device = swapDevice(in: line), !events.swaps.contains(device) {
                events.swaps.append(device)
            }
            if let rename = interfaceRename(in: line), !events.renamedInterfaces.contains(rename) {
                events.renamedInterfaces.append(rename)
            }
            let warning = String(line.drop(while: \.isWhitespace))
            if warningMarks.contains(where: { line.contains($0) }), !events.warnings.contains(warning),
                events.warnings.count < warningLimit
            {
                events.warnings.append(warning)
            }
        }
        return events
    }

    /// "eth0 → ens3" from the kernel's "virtio_net virtio1 ens3: renamed from eth0".
    static func interfaceRename(in line: Substring) -> String? {
        guard let marker = line.firstRange(of: ": renamed from ") else { return nil }
        let new = line[..<marker.lowerBound].split(separator: " ").last.map(String.init) ?? ""
        let old = line[marker.upperBound...].prefix { !$0.isWhitespace }
        guard !new.isEmpty, !old.isEmpty else { return nil }
        return "\(old) → \(new)"
    }

    /// The device in the kernel's "Adding <size>k swap on <device>.  Priority:…" line.
    static func swapDevice(in line: Substring) -> String? {
        guard let adding = line.firstRange(of: "Adding "),
            let on = line[adding.upperBound...].firstRange(of: " swap on ")
        else { return nil }
        let device = line[on.upperBound...].prefix { !$0.isWhitespace }
        let name = device.hasSuffix(".") ? device.dropLast() : device
        return name.isEmpty ? nil : String(name)
    }
}
