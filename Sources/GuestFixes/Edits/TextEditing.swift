/// A line cut into whitespace-separated words, keeping the exact whitespace so that putting it
/// back together gives the same text: edits change words and leave tabs and alignment alone.
struct Words: Sendable {
    /// Each word with the blanks (spaces, tabs) before it.
    var tokens: [(gap: String, word: String)]
    /// Blanks after the last word.
    var tail: String

    init(_ line: some StringProtocol) {
        tokens = []
        var gap = ""
        var word = ""
        for character in line {
            if character == " " || character == "\t" {
                if !word.isEmpty {
                    tokens.append((gap, word))
                    gap = ""
                    word = ""
                }
                gap.append(character)
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty {
            tokens.append((gap, word))
            gap = ""
        }
        tail = gap
    }

    var words: [String] { tokens.map(\.word) }

    var text: String {
        tokens.map { $0.gap + $0.word }.joined() + tail
    }

    /// The text from token `index` on (with the blanks before it).
    func text(from index: Int) -> String {
        tokens[index...].map { $0.gap + $0.word }.joined() + tail
    }

    /// The text up to, not including, token `index`.
    func text(before index: Int) -> String {
        tokens[..<index].map { $0.gap + $0.word }.joined()
    }
}

/// Line-by-line helpers shared by the edits.
enum TextLines {
    /// The lines of `text`; joining them with "\n" gives `text` back exactly (a final newline
    /// leaves an empty last element).
    static func split(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func join(_ lines: [String]) -> String {
        lines.joined(separator: "\n")
    }

    /// The line without its leading blanks.
    static func trimmedStart(_ line: some StringProtocol) -> Substring {
        Substring(line).drop { $0 == " " || $0 == "\t" }
    }

    /// True for blank lines and `#` comments.
    static func isCommentOrBlank(_ line: some StringProtocol) -> Bool {
        let trimmed = trimmedStart(line)
        return trimmed.isEmpty || trimmed.hasPrefix("#")
    }

    /// `text` with `lines` added at its end, each on its own line.
    static func appending(_ lines: [String], to text: String) -> String {
        guard !lines.isEmpty else { return text }
        var result = text
        if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
        return result + lines.map { $0 + "\n" }.joined()
    }

    /// A line commented out by xen2kvm.
    static func commentedOut(_ line: String) -> String {
        "# xen2kvm: " + line
    }
}

/// One file may be reachable under several names (`menu.lst -> grub.conf`,
/// `/etc/grub.conf -> ../boot/grub/grub.conf`). Edits change the regular file, and a symlinked
/// name only when it leads somewhere none of the regular names do, so one config gives one change.
enum ConfigFiles {
    static func distinct(_ paths: [String], in root: GuestView) throws(GuestFixError) -> [String] {
        var chosen: [String] = []
        var seen: [[UInt8]] = []
        for path in paths where root.kind(of: path, followLast: false) == .file {
            guard let bytes = try root.readBytes(path) else { continue }
            chosen.append(path)
            seen.append(bytes)
        }
        for path in paths where root.kind(of: path, followLast: false) == .symlink {
            guard let bytes = try root.readBytes(path), !seen.contains(bytes) else { continue }
            chosen.append(path)
            seen.append(bytes)
        }
        return chosen
    }
}

extension String {
    /// The text without blanks at either end.
    func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }
}

/// A shell variable assignment as sysconfig files and mkinitcpio.conf write them: `KEY=value`,
/// `KEY="value"`, `KEY='value'` or an array `KEY=(value)`. Putting it back gives the same line.
struct ShellAssignment: Sendable {
    var indent: String
    var key: String
    var open: String
    var value: String
    var close: String

    init?(_ line: String) {
        guard !TextLines.isCommentOrBlank(line) else { return nil }
        let trimmed = TextLines.trimmedStart(line)
        guard let equals = trimmed.firstIndex(of: "="),
            trimmed[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
        else { return nil }
        indent = String(line.prefix(line.count - trimmed.count))
        key = String(trimmed[..<equals])
        var rest = trimmed[trimmed.index(after: equals)...]
        open = ""
        close = ""
        for (first, last) in [("\"", "\""), ("'", "'"), ("(", ")")]
        where rest.count >= 2 && rest.hasPrefix(first) && rest.hasSuffix(last) {
            (open, close) = (first, last)
            rest = rest.dropFirst().dropLast()
            break
        }
        value = String(rest)
    }

    var line: String { indent + key + "=" + open + value + close }
}
