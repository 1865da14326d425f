/// Sizes for people, 1024-based: "512 bytes", "1.5 GiB".
enum ByteCount {
    /// Seconds with one decimal ("0.4 s"), or whole ("42 s") with `decimals` 0.
    static func seconds(_ value: Double, decimals: Int = 1) -> String {
        guard decimals > 0 else { return "\(Int(value.rounded())) s" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }

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
