import Foundation
import PartitionTable
import Testing

@Suite struct GUIDTests {
    @Test func textRoundTrip() throws {
        let text = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
        let guid = try #require(GUID(text))
        #expect(guid.description == text)
        #expect(GUID(text.lowercased()) == guid)
        #expect(GUID("{\(text)}") == guid)
        #expect(guid == PartitionTable.linuxFilesystemType)
    }

    @Test(arguments: [
        "", "0FC63DAF84834772-8E79-3D69D8477DE4", "0FC63DAF-8483-4772-8E79-3D69D8477DE",
        "0FC63DAG-8483-4772-8E79-3D69D8477DE4", "0FC63DAF-8483-4772-8E79-3D69D8477DE4-",
        "+FC63DAF-8483-4772-8E79-3D69D8477DE4",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(GUID(text) == nil)
    }

    /// The Linux filesystem type as it sits in a GPT entry (first three fields byte-swapped).
    @Test func linuxTypeOnDiskEncoding() throws {
        let expected: [UInt8] = [
            0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47,
            0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4,
        ]
        #expect(PartitionTable.linuxFilesystemType.diskBytes == expected)
        #expect(GUID(diskBytes: expected) == PartitionTable.linuxFilesystemType)
        #expect(GUID(diskBytes: expected.prefix(15)) == nil)
    }

    @Test func biosBootTypeSpellsHahIdontNeedEFI() {
        // The BIOS boot GUID's on-disk bytes are the ASCII text "Hah!IdontNeedEFI".
        #expect(PartitionTable.biosBootType.diskBytes == Array("Hah!IdontNeedEFI".utf8))
    }

    @Test func randomIsVersion4AndDistinct() {
        let one = GUID.random()
        let two = GUID.random()
        #expect(one != two)
        #expect(one.bytes[6] >> 4 == 4)
        #expect(one.bytes[8] & 0xC0 == 0x80)
        #expect(!one.isZero && GUID.zero.isZero)
    }

    @Test func codableAsText() throws {
        let data = try JSONEncoder().encode([PartitionTable.biosBootType])
        #expect(
            String(decoding: data, as: UTF8.self) == #"["21686148-6449-6E6F-744E-656564454649"]"#)
        #expect(try JSONDecoder().decode([GUID].self, from: data) == [PartitionTable.biosBootType])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([GUID].self, from: Data(#"["nope"]"#.utf8))
        }
    }
}
