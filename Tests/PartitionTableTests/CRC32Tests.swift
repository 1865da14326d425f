import PartitionTable
import Testing

@Suite struct CRC32Tests {
    @Test func knownVector() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func emptyInputIsZero() {
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func piecewiseEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var crc = CRC32()
        crc.update(data[0..<333])
        crc.update(data[333...])
        #expect(crc.value == CRC32.checksum(data))
    }
}
