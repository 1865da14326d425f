/// A setting's value: libxlu knows only single values and flat lists of them, all kept as text
/// (a number stays "0x400" until a key reads it as one).
enum ConfigValue: Equatable {
    case atom(String)
    case list([String])

    var atom: String? {
        if case .atom(let text) = self { return text }
        return nil
    }

    /// A list as it is; a single value as a list of one (xl accepts `disk = 'x'` nowhere, but an
    /// xm config may and the meaning is plain).
    var items: [String] {
        switch self {
        case .atom(let text): [text]
        case .list(let items): items
        }
    }
}

struct ConfigSetting: Equatable {
    var key: String
    var value: ConfigValue
    var line: Int
}

/// The settings of a config after xl's rules: a repeated key keeps its last value, `+=`
/// appends to the one before.
struct ConfigSettings {
    private(set) var byKey: [String: ConfigSetting] = [:]
    /// Keys in the order they were first set (for stable reports).
    private(set) var keys: [String] = []
    /// Lines holding Python code that was not read (xm only).
    var pythonLines: [Int] = []

    subscript(key: String) -> ConfigSetting? { byKey[key] }

    mutating func store(_ setting: ConfigSetting, appending: Bool, notes: inout Notes) {
        guard let previous = byKey[setting.key] else {
            keys.append(setting.key)
            byKey[setting.key] = setting
            return
        }
        guard appending else {
            notes.warning(
                "repeated-key",
                "`\(setting.key)` is set again (first on line \(previous.line)); xl keeps the last value, "
                    + "and so does xen2kvm (libvirt's Xen parser keeps the first)",
                line: setting.line)
            byKey[setting.key] = setting
            return
        }
        var merged = setting
        switch (previous.value, setting.value) {
        case (.list(let old), .list(let new)): merged.value = .list(old + new)
        case (.atom(let old), .atom(let new)): merged.value = .atom(old + new)
        default:
            notes.warning(
                "append-mismatch",
                "`\(setting.key) +=` adds a \(setting.value.atom == nil ? "list" : "single value") to a "
                    + "\(previous.value.atom == nil ? "list" : "single value"); xl refuses that, the new value is kept",
                line: setting.line)
        }
        merged.line = previous.line
        byKey[setting.key] = merged
    }
}

/// Reads `KEY = VALUE` statements (`;` or a newline between them, lists over several lines).
/// In an xm config, a statement that is not a plain literal assignment is Python code: it is
/// never run; its line is reported and the rest is read.
struct ConfigParser {
    let dialect: ConfigDialect
    private let text: String
    private var tokens: [ConfigToken] = []
    private var position = 0
    /// After a Python block header (`if …:`), whose indented body is Python's to decide on.
    private var inPythonBlock = false

    init(text: String, dialect: ConfigDialect) {
        self.text = text
        self.dialect = dialect
    }

    static let pythonConstants = ["True": "1", "False": "0"]

    mutating func parse(into notes: inout Notes) throws(XenDefinitionError) -> ConfigSettings {
        var lexer = ConfigLexer(text, dialect: dialect)
        tokens = try lexer.tokens()
        position = 0
        var settings = ConfigSettings()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while let token = peek {
            switch token.kind {
            case .newline, .semicolon:
                position += 1
                continue
            default: break
            }
            let start = position
            do {
                let (setting, appending) = try statement()
                settings.store(setting, appending: appending, notes: &notes)
            } catch let error {
                guard dialect == .xm else { throw error }
                position = start
                let line = token.line
                inPythonBlock = skipLogicalLine() == .code(":") || (token.indented && inPythonBlock)
                settings.pythonLines.append(line)
                let shown = line <= lines.count ? lines[line - 1].trimmingBlanks : ""
                notes.blocker(
                    "xm-python-code",
                    "`\(shown)` is Python code, and xen2kvm never runs a config; run `xl -N create CFG > CFG.json` "
                        + "on the Xen host (dom0) and give xen2kvm that JSON instead",
                    line: line)
            }
        }
        return settings
    }

    private var peek: ConfigToken? { position < tokens.count ? tokens[position] : nil }

    private mutating func next() -> ConfigToken? {
        defer { position += 1 }
        return peek
    }

    private func failure(_ message: String, at token: ConfigToken?) -> XenDefinitionError {
        XenDefinitionError(message, line: token?.line ?? tokens.last?.line)
    }

    private mutating func statement() throws(XenDefinitionError) -> (ConfigSetting, appending: Bool) {
        let keyToken = next()
        guard case .identifier(let key)? = keyToken?.kind, let keyToken else {
            throw failure("expected a setting name", at: keyToken)
        }
        if dialect == .xm {
            if keyToken.indented && inPythonBlock {
                throw failure("an indented line is the body of a Python block", at: keyToken)
            }
            inPythonBlock = false
        }
        let operatorToken = next()
        let appending: Bool
        switch operatorToken?.kind {
        case .equals?: appending = false
        case .plusEquals?: appending = true
        default: throw failure("expected = or += after `\(key)`", at: operatorToken)
        }
        let value = try self.value()
        switch peek?.kind {
        case nil, .newline?, .semicolon?: break
        default: throw failure("unexpected text after the value of `\(key)`", at: peek)
        }
        return (ConfigSetting(key: key, value: value, line: keyToken.line), appending)
    }

    private mutating func value() throws(XenDefinitionError) -> ConfigValue {
        let token = next()
        switch token?.kind {
        case .openBracket?:
            var items: [String] = []
            skipNewlines()
            while peek?.kind != .closeBracket {
                items.append(try atom())
                skipNewlines()
                guard peek?.kind == .comma else { break }
                position += 1
                skipNewlines()
            }
            guard next()?.kind == .closeBracket else { throw failure("a list is not closed with ]", at: token) }
            return .list(items)
        default:
            position -= 1
            return .atom(try atom())
        }
    }

    private mutating func atom() throws(XenDefinitionError) -> String {
        let token = next()
        switch token?.kind {
        case .string(let text)?: return text
        case .number(let text)?: return text
        case .identifier(let word)? where dialect == .xm && Self.pythonConstants[word] != nil:
            return Self.pythonConstants[word]!
        default: throw failure("expected a quoted string or a number", at: token)
        }
    }

    private mutating func skipNewlines() {
        while peek?.kind == .newline { position += 1 }
    }

    /// Past the rest of a Python statement: to the newline outside brackets. Returns its last
    /// token (a `:` opens a block).
    private mutating func skipLogicalLine() -> ConfigToken.Kind? {
        var depth = 0
        var last: ConfigToken.Kind?
        while let token = next() {
            switch token.kind {
            case .openBracket, .code("("), .code("{"): depth += 1
            case .closeBracket, .code(")"), .code("}"): depth = max(0, depth - 1)
            case .newline where depth == 0: return last
            default: break
            }
            if token.kind != .newline { last = token.kind }
        }
        return last
    }
}
