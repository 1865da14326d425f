/// One `vif=` entry: `key=value` pairs separated by commas (blanks around them allowed, as xm
/// configs write them). An empty entry is a NIC with every default.
struct VifSpec {
    var interface = XenInterface(mac: "")
    var problems: [String] = []

    init(_ spec: String) {
        for parameter in spec.split(separator: ",") {
            let text = parameter.trimmingBlanks
            guard !text.isEmpty else { continue }
            guard let equals = text.firstIndex(of: "=") else {
                problems.append("`\(text)` is not key=value")
                continue
            }
            let key = String(text[..<equals]).trimmingBlanks
            let value = String(text[text.index(after: equals)...]).trimmingBlanks
            switch key {
            case "mac":
                if let mac = Self.normalizedMAC(value) {
                    interface.mac = mac
                } else {
                    problems.append("`mac=\(value)` is not a MAC address")
                }
            case "bridge": interface.bridge = value
            case "model": interface.model = value
            case "rate": interface.rate = value
            case "ip": interface.ip = value
            case "vifname": interface.vifname = value
            case "script": interface.script = value
            case "type", "backend", "gatewaydev", "forwarddev", "devid", "accel", "mtu", "trusted", "untrusted":
                break
            default: problems.append("`\(key)=` is no vif parameter xl knows")
            }
        }
    }

    /// "00:16:3E:0a:0B:0c" → "00:16:3e:0a:0b:0c"; nil for anything else. The all-zero MAC is
    /// what libxl's JSON holds for "none given": nil too, so one is generated.
    static func normalizedMAC(_ text: String) -> String? {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else {
            return nil
        }
        let mac = parts.joined(separator: ":")
        return mac == "00:00:00:00:00:00" ? nil : mac
    }
}
