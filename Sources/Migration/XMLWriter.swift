/// A small XML writer: elements with attributes in the order given (so the output is the same
/// bytes on every run), two-space indentation, and every text and attribute value escaped.
struct XMLWriter {
    private(set) var text = ""
    private var open: [String] = []

    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }

    private var indent: String { String(repeating: "  ", count: open.count) }

    private static func tag(_ name: String, _ attributes: [(String, String)]) -> String {
        ([name] + attributes.map { "\($0.0)='\(escape($0.1))'" }).joined(separator: " ")
    }

    mutating func start(_ name: String, _ attributes: [(String, String)] = []) {
        text += "\(indent)<\(Self.tag(name, attributes))>\n"
        open.append(name)
    }

    mutating func end() {
        let name = open.removeLast()
        text += "\(indent)</\(name)>\n"
    }

    /// `<name attr='…'/>`, or `<name attr='…'>value</name>` with a value.
    mutating func element(_ name: String, _ attributes: [(String, String)] = [], value: String? = nil) {
        if let value {
            text += "\(indent)<\(Self.tag(name, attributes))>\(Self.escape(value))</\(name)>\n"
        } else {
            text += "\(indent)<\(Self.tag(name, attributes))/>\n"
        }
    }

    /// A comment; "--" cannot appear in one, so it is broken up.
    mutating func comment(_ value: String) {
        text += "\(indent)<!-- \(Self.escape(value).replacing("--", with: "- -")) -->\n"
    }
}
