extension DefinitionForm {
    /// The form a definition is written in, from its text: XML starts with `<`, libxl's JSON
    /// with `{`; a config is an xm one when it holds Python that xl's grammar has no place for
    /// (statements, operators, calls, indented blocks) or xm's own dialect (`bootargs`, `w!`
    /// access, a disk target with no prefix); otherwise it is xl.cfg.
    public static func detect(_ text: String) -> DefinitionForm {
        let start = text.first { !($0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r") }
        if start == "<" { return .libvirtXML }
        if start == "{" { return .xlJSON }
        var notes = Notes(source: nil)
        var xmParser = ConfigParser(text: text, dialect: .xm)
        guard let settings = try? xmParser.parse(into: &notes) else { return .xl }
        // Python's own literals (triple quotes, raw strings, line joins) that xl's lexer refuses.
        var xlParser = ConfigParser(text: text, dialect: .xl)
        if (try? xlParser.parse(into: &notes)) == nil { return .xm }
        if !settings.pythonLines.isEmpty || settings["bootargs"] != nil { return .xm }
        for spec in settings["disk"]?.value.items ?? [] where looksLikeXM(disk: spec) {
            return .xm
        }
        return .xl
    }

    /// `…,w!` or `/dev/vg/lv,xvda1,w`: xm's uname,dev,mode with what xl does not accept.
    private static func looksLikeXM(disk spec: String) -> Bool {
        let fields = spec.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingBlanks }
        if fields.last == "w!" { return true }
        guard fields.count == 3, !fields[0].contains("="), fields[0].hasPrefix("/") else { return false }
        return !DiskSpec.formats.contains(fields[1])
    }
}
