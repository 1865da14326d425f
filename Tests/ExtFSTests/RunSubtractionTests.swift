import Testing

@testable import ExtFS

/// Taking the unused inode-table runs out of the used-block runs.
@Suite struct RunSubtractionTests {
    @Test func holesSplitTrimAndRemoveRuns() {
        let runs: [Range<UInt64>] = [0..<10, 20..<30, 40..<50, 60..<70]
        let holes: [Range<UInt64>] = [2..<4, 8..<22, 40..<50, 65..<80]
        #expect(ExtFilesystem.subtract(holes, from: runs) == [0..<2, 4..<8, 22..<30, 60..<65])
    }

    @Test func nothingToTakeOut() {
        let runs: [Range<UInt64>] = [5..<9, 12..<13]
        #expect(ExtFilesystem.subtract([], from: runs) == runs)
        #expect(ExtFilesystem.subtract([0..<5, 9..<12, 13..<20], from: runs) == runs)
    }

    @Test func oneHoleAcrossSeveralRuns() {
        #expect(ExtFilesystem.subtract([3..<25], from: [0..<5, 10..<12, 20..<30]) == [0..<3, 25..<30])
    }
}
