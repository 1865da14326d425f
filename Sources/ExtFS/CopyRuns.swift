/// The blocks a block copy of a filesystem reads, as the contained image parser hands them to
/// the copy: read from the image by libext2fs in one process, copied by another.
public struct CopyRuns: Sendable, Equatable {
    public var blockSize: UInt64
    public var blockCount: UInt64
    /// Blocks in use and the filesystem's own structure (`usedBlockRuns()` with
    /// `metadataBlockRuns()`), sorted and merged.
    public var used: [Range<UInt64>]
    /// Used blocks a copy need not read (`unneededBlockRuns()`), sorted and merged.
    public var unneeded: [Range<UInt64>]

    public init(blockSize: UInt64, blockCount: UInt64, used: [Range<UInt64>], unneeded: [Range<UInt64>]) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.used = used
        self.unneeded = unneeded
    }

    /// The blocks to read when the target reads as zeros where the unneeded ones are.
    public var needed: [Range<UInt64>] { ExtFilesystem.subtract(unneeded, from: used) }
}

extension ExtFilesystem {
    /// What a block copy of this filesystem reads.
    public func copyRuns() throws(ExtFSError) -> CopyRuns {
        CopyRuns(
            blockSize: UInt64(blockSize), blockCount: blockCount,
            used: Self.union(try usedBlockRuns(), metadataBlockRuns()), unneeded: unneededBlockRuns())
    }
}

/// Copy runs as text lines, for the pipe between the parser child and xen2kvm: a large
/// filesystem has hundreds of thousands of runs, so each line holds up to 256 of them, each
/// as `GAP+LENGTH` in hex (GAP from the end of the list's previous run), and the lines of a
/// list start with its name. The header (block size and count, how many runs) travels in the
/// child's answer; `Decoder` checks the lines against it, so a lost or extra line is an error.
extension CopyRuns {
    public struct Header: Sendable, Codable, Equatable {
        public var blockSize: UInt64
        public var blockCount: UInt64
        public var usedRuns: Int
        public var unneededRuns: Int
    }

    public var header: Header {
        Header(blockSize: blockSize, blockCount: blockCount, usedRuns: used.count, unneededRuns: unneeded.count)
    }

    static let runsPerLine = 256

    /// Calls `line` with each line of the text form, in order.
    public func encode(_ line: (String) -> Void) {
        for (name, runs) in [("used", used), ("unneeded", unneeded)] {
            var end: UInt64 = 0
            var index = runs.startIndex
            while index < runs.endIndex {
                var text = name
                for run in runs[index..<min(index + Self.runsPerLine, runs.endIndex)] {
                    text += " " + String(run.lowerBound - end, radix: 16) + "+" + String(run.count, radix: 16)
                    end = run.upperBound
                }
                line(text)
                index += Self.runsPerLine
            }
        }
    }

    /// Why lines of runs do not make the runs the header announced.
    public struct Garbled: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the text form back, line by line.
    public struct Decoder: Sendable {
        var used: [Range<UInt64>] = []
        var unneeded: [Range<UInt64>] = []
        var problem: String?

        public init() {}

        public mutating func take(_ line: Substring) {
            guard problem == nil else { return }
            let words = line.split(whereSeparator: \.isWhitespace)
            guard let name = words.first, name == "used" || name == "unneeded" else {
                problem = "a line that is no list of runs: \(line.prefix(40))"
                return
            }
            var runs = name == "used" ? used : unneeded
            defer { if name == "used" { used = runs } else { unneeded = runs } }
            for word in words.dropFirst() {
                let parts = word.split(separator: "+", omittingEmptySubsequences: false)
                guard parts.count == 2, let gap = UInt64(parts[0], radix: 16), let length = UInt64(parts[1], radix: 16),
                    length > 0
                else {
                    problem = "a run that cannot be read: \(word.prefix(40))"
                    return
                }
                let end = runs.last?.upperBound ?? 0
                let (start, over) = end.addingReportingOverflow(gap)
                let (stop, overToo) = start.addingReportingOverflow(length)
                guard !over, !overToo else {
                    problem = "a run past any disk: \(word.prefix(40))"
                    return
                }
                runs.append(start..<stop)
            }
        }

        /// The runs, checked against the header: the counts agree, and no run passes the end
        /// of the filesystem.
        public func finish(_ header: Header) -> Result<CopyRuns, Garbled> {
            if let problem { return .failure(Garbled(description: problem)) }
            guard used.count == header.usedRuns, unneeded.count == header.unneededRuns else {
                return .failure(
                    Garbled(
                        description: "\(used.count) and \(unneeded.count) runs arrived, \(header.usedRuns) and "
                            + "\(header.unneededRuns) were sent"))
            }
            for run in [used.last, unneeded.last].compactMap({ $0 }) where run.upperBound > header.blockCount {
                return .failure(
                    Garbled(
                        description: "a run ends at block \(run.upperBound), past the filesystem's \(header.blockCount)"
                    ))
            }
            return .success(
                CopyRuns(blockSize: header.blockSize, blockCount: header.blockCount, used: used, unneeded: unneeded))
        }
    }
}
