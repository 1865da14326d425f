import TestSupport
import Testing

@testable import Inspection

/// Images FuzzImage crashed `inspect` with (Fuzz/Regressions/FuzzImage).
@Suite struct FuzzRegressionTests {
    /// Every committed image is inspected as `xen2kvm inspect` does it: a report or an
    /// InspectionError, never a trap.
    @Test(arguments: FuzzRegressions.names("FuzzImage"))
    func committedImage(_ name: String) {
        do {
            _ = try Inspector.inspect("\(FuzzRegressions.directory("FuzzImage"))/\(name)")
        } catch {
            #expect(!error.description.isEmpty)
        }
    }

    /// A GPT whose Linux partition starts at sector 2^60: its byte offset overflowed UInt64
    /// (Inspector, `startSector * 512`). The offset saturates now (SourcePartition.offsetBytes),
    /// which lies past the end of the disk: no filesystem there.
    @Test func partitionStartPastUInt64() {
        let image = "\(FuzzRegressions.directory("FuzzImage"))/gpt-partition-start-past-uint64"
        #expect(throws: InspectionError.self) { try Inspector.inspect(image) }
        let partition = SourcePartition(number: 2, startSector: 1 << 60, sectors: 1 << 60, type: "83")
        #expect(partition.offsetBytes == UInt64.max)
        #expect(partition.sizeBytes == UInt64.max)
    }
}
