/// One line of /etc/fstab.
public struct FstabEntry: Sendable, Codable, Equatable {
    public var device: String
    public var mountPoint: String
    public var type: String
    public var options: String
    public var dump: Int
    public var pass: Int
    /// 1-based line number in the file, for findings that point at it.
    public var line: Int
}

/// Reads /etc/fstab: whitespace-separated fields, `#` comments, missing trailing fields default.
enum FstabReader {
    static let path = "/etc/fstab"

    static func read(_ guest: some GuestFileSource) -> [FstabEntry] {
        parse(guest.lines(path))
    }

    static func parse(_ lines: [String]) -> [FstabEntry] {
        var entries: [FstabEntry] = []
        for (index, line) in lines.enumerated() {
            let content =
                line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                .first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 2 else { continue }
            entries.append(
                FstabEntry(
                    device: fields[0], mountPoint: fields[1],
                    type: fields.count > 2 ? fields[2] : "auto",
                    options: fields.count > 3 ? fields[3] : "defaults",
                    dump: fields.count > 4 ? Int(fields[4]) ?? 0 : 0,
                    pass: fields.count > 5 ? Int(fields[5]) ?? 0 : 0,
                    line: index + 1))
        }
        return entries
    }
}
