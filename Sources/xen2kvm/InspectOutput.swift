import GuestFixes
import Inspection

/// What `inspect --edits` answers: the inspection report's own keys, and `edits` beside them
/// (so `--json` keeps the report's shape and only adds a key).
struct InspectOutput: Sendable, Codable {
    var report: InspectionReport
    var edits: EditPreview?

    private enum Keys: String, CodingKey { case edits }

    init(report: InspectionReport, edits: EditPreview?) {
        self.report = report
        self.edits = edits
    }

    init(from decoder: any Decoder) throws {
        report = try InspectionReport(from: decoder)
        edits = try decoder.container(keyedBy: Keys.self).decodeIfPresent(EditPreview.self, forKey: .edits)
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(edits, forKey: .edits)
    }
}
