import Inspection

/// The findings a reading collects, in the order they were met, each naming the definition
/// file (and line, when the form has lines) so that the operator knows where to look.
struct Notes {
    var source: String?
    private(set) var findings: [Finding] = []

    init(source: String?) {
        self.source = source
    }

    mutating func add(_ severity: Finding.Severity, _ code: String, _ message: String, line: Int? = nil) {
        // The line goes with the file when there is one ("web01.cfg:12"), else into the message.
        let place = source == nil ? line.map { "line \($0): " } ?? "" : ""
        let file = source.map { path in line.map { "\(path):\($0)" } ?? path }
        findings.append(Finding(severity, code, place + message, file: file))
    }

    mutating func blocker(_ code: String, _ message: String, line: Int? = nil) {
        add(.blocker, code, message, line: line)
    }

    mutating func warning(_ code: String, _ message: String, line: Int? = nil) {
        add(.warning, code, message, line: line)
    }

    mutating func info(_ code: String, _ message: String, line: Int? = nil) {
        add(.info, code, message, line: line)
    }
}
