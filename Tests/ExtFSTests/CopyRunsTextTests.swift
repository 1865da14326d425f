import ExtFS
import Testing

/// The text form the parser child hands copy runs over in.
@Suite struct CopyRunsTextTests {
    static let last: UInt64 = 1 << 40
    static let middle: [Range<UInt64>] = (0..<UInt64(1000)).map { index -> Range<UInt64> in
        10 + index * 7..<12 + index * 7
    }
    static let runs = CopyRuns(
        blockSize: 4096, blockCount: last, used: [0..<3] + middle + [last - 5..<last], unneeded: [40..<41, 90..<99])

    static func decoded(_ lines: [String], _ header: CopyRuns.Header = runs.header) -> Result<
        CopyRuns, CopyRuns.Garbled
    > {
        var decoder = CopyRuns.Decoder()
        for line in lines { decoder.take(line[...]) }
        return decoder.finish(header)
    }

    @Test func runsComeBackAsTheyWent() throws {
        var lines: [String] = []
        Self.runs.encode { lines.append($0) }
        #expect(lines.count == 5, "1002 used runs in lines of 256, and one line of unneeded ones")
        #expect(lines.allSatisfy { $0.utf8.count < 4096 })
        #expect(try Self.decoded(lines).get() == Self.runs)
    }

    @Test func aLostLineALateRunOrGarbageIsRefused() {
        var lines: [String] = []
        Self.runs.encode { lines.append($0) }
        #expect(throws: CopyRuns.Garbled.self) { try Self.decoded(Array(lines.dropFirst())).get() }
        #expect(throws: CopyRuns.Garbled.self) { try Self.decoded(lines + ["used 0+1"]).get() }
        #expect(throws: CopyRuns.Garbled.self) { try Self.decoded(lines.dropLast() + ["unneeded 28+1 zz+1"]).get() }
        var small = Self.runs.header
        small.blockCount = 100
        #expect(throws: CopyRuns.Garbled.self) { try Self.decoded(lines, small).get() }
        #expect(throws: CopyRuns.Garbled.self) {
            try Self.decoded(lines.dropLast() + ["unneeded ffffffffffffffff+2"]).get()
        }
    }
}
