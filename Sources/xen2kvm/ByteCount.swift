/// Sizes for people, 1024-based: "512 bytes", "1.5 GiB".
enum ByteCount {
    static func text(_ value: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var size = Double(value)
        var unit = 0
        while size >= 1024 && unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value) bytes" }
        return "\((size * 10).rounded() / 10) \(units[unit])"
    }
}
