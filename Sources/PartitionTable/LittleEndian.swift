/// Little-endian field access in on-disk structures (MBR, GPT); all their integers are LE.
extension Array where Element == UInt8 {
    mutating func putLE(_ value: some FixedWidthInteger, at offset: Int) {
        var remaining = value
        for index in 0..<(type(of: value).bitWidth / 8) {
            self[offset + index] = UInt8(truncatingIfNeeded: remaining)
            remaining = remaining >> 8
        }
    }

    func le<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for index in (0..<(T.bitWidth / 8)).reversed() {
            value = value << 8 | T(self[offset + index])
        }
        return value
    }
}
