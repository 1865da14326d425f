/// The two config dialects share one lexer: xl.cfg is libxlu's small grammar, an xm config is
/// Python, of which only the plain literal assignments are read.
enum ConfigDialect: Sendable {
    case xl, xm
}

struct ConfigToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        /// A number as written ("0x400", "0512"): libxlu keeps numbers as text, read with
        /// strtol(…, 0) by the key that wants one.
        case number(String)
        case string(String)
        case openBracket, closeBracket, comma, equals, plusEquals, semicolon, newline
        /// Anything else: Python operators, calls, attribute access, … (never run).
        case code(String)
    }

    var kind: Kind
    var line: Int
    /// True when the token is the first of its line and the line starts with blanks (Python:
    /// the body of a block).
    var indented = false
}

struct ConfigLexer {
    let dialect: ConfigDialect
    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var atLineStart = true

    init(_ text: String, dialect: ConfigDialect) {
        chars = Array(text)
        self.dialect = dialect
    }

    mutating func tokens() throws(XenDefinitionError) -> [ConfigToken] {
        var result: [ConfigToken] = []
        var indented = false
        while index < chars.count {
            let char = chars[index]
            let startLine = line
            if char == " " || char == "\t" || char == "\r" {
                if atLineStart { indented = true }
                index += 1
                continue
            }
            let first = atLineStart
            atLineStart = false
            func emit(_ kind: ConfigToken.Kind) {
                result.append(ConfigToken(kind: kind, line: startLine, indented: first && indented))
            }
            switch char {
            case "\n":
                index += 1
                line += 1
                atLineStart = true
                indented = false
                emit(.newline)
            case "#":
                while index < chars.count, chars[index] != "\n" { index += 1 }
                atLineStart = first
            case "\\" where dialect == .xm && index + 1 < chars.count && chars[index + 1] == "\n":
                // Python's explicit line joining.
                index += 2
                line += 1
            case "[": index += 1; emit(.openBracket)
            case "]": index += 1; emit(.closeBracket)
            case ",": index += 1; emit(.comma)
            case "=": index += 1; emit(.equals)
            case ";": index += 1; emit(.semicolon)
            case "+" where index + 1 < chars.count && chars[index + 1] == "=":
                index += 2
                emit(.plusEquals)
            case "'", "\"":
                emit(.string(try quoted(raw: false)))
            // ASCII only, as libxlu's lexer: a letter or digit of another script (Swift's
            // isNumber is true for N'Ko digits, which are no hex digit) must not start a word
            // that takes nothing and never moves on.
            case _ where char.isASCII && (char.isLetter || char == "_"):
                let word = take { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                if dialect == .xm, ["r", "R", "u", "U"].contains(word), index < chars.count,
                    chars[index] == "'" || chars[index] == "\""
                {
                    emit(.string(try quoted(raw: word.lowercased() == "r")))
                } else {
                    emit(.identifier(word))
                }
            case _ where char.isASCII && char.isNumber:
                emit(.number(take { $0.isASCII && ($0.isHexDigit || $0 == "x" || $0 == "X") }))
            default:
                index += 1
                emit(.code(String(char)))
            }
        }
        return result
    }

    private mutating func take(while accept: (Character) -> Bool) -> String {
        let start = index
        while index < chars.count, accept(chars[index]) { index += 1 }
        return String(chars[start..<index])
    }

    /// A quoted string from `index` (at its opening quote): C escapes, as libxlu reads them;
    /// in xm also Python's triple quotes (which may span lines) and raw strings.
    private mutating func quoted(raw: Bool) throws(XenDefinitionError) -> String {
        let quote = chars[index]
        let startLine = line
        let triple =
            dialect == .xm && index + 2 < chars.count && chars[index + 1] == quote && chars[index + 2] == quote
        index += triple ? 3 : 1
        var text = ""
        while index < chars.count {
            let char = chars[index]
            if triple, char == quote, index + 2 < chars.count, chars[index + 1] == quote, chars[index + 2] == quote {
                index += 3
                return text
            }
            if !triple, char == quote {
                index += 1
                return text
            }
            if char == "\n" {
                guard triple else { break }
                line += 1
            }
            if char == "\\", !raw, index + 1 < chars.count {
                index += 1
                text.append(contentsOf: try escape())
                continue
            }
            text.append(char)
            index += 1
        }
        throw XenDefinitionError("a string opened with \(quote) is not closed on its line", line: startLine)
    }

    /// The character(s) an escape after a backslash stands for; `index` is past the backslash.
    private mutating func escape() throws(XenDefinitionError) -> String {
        let char = chars[index]
        index += 1
        switch char {
        case "\"", "'", "\\": return String(char)
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        case "x":
            return try numericEscape(maxDigits: 2, radix: 16, what: "hex")
        case "0"..."7":
            index -= 1
            return try numericEscape(maxDigits: 3, radix: 8, what: "octal")
        case "\n" where dialect == .xm:
            line += 1
            return ""
        default:
            // libxlu drops an unknown escape; Python keeps the backslash. Neither is common in a
            // path, so xl's reading is the one kept for both.
            return ""
        }
    }

    private mutating func numericEscape(maxDigits: Int, radix: Int, what: String) throws(XenDefinitionError) -> String {
        var digits = ""
        while digits.count < maxDigits, index < chars.count, let _ = chars[index].hexDigitValue,
            Int(String(chars[index]), radix: radix) != nil
        {
            digits.append(chars[index])
            index += 1
        }
        guard let value = UInt8(digits, radix: radix), value > 0 else {
            throw XenDefinitionError("a \\\(what) escape in a quoted string has no valid digits", line: line)
        }
        return String(UnicodeScalar(value))
    }
}

/// A number as C's strtol(text, …, 0) reads it: `0x400` is hex, `0512` octal, `512` decimal;
/// nil unless the whole text is the number.
func cNumber(_ text: String) -> Int? {
    var body = Substring(text.trimmingBlanks)
    var sign = 1
    if body.hasPrefix("-") || body.hasPrefix("+") {
        sign = body.hasPrefix("-") ? -1 : 1
        body = body.dropFirst()
    }
    let value: Int?
    if body.hasPrefix("0x") || body.hasPrefix("0X") {
        value = Int(body.dropFirst(2), radix: 16)
    } else if body.hasPrefix("0"), body.count > 1 {
        value = Int(body.dropFirst(), radix: 8)
    } else {
        value = Int(body, radix: 10)
    }
    return value.map { $0 * sign }
}

extension StringProtocol {
    /// Without leading and trailing blanks (spaces, tabs, newlines).
    var trimmingBlanks: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
