import Fleet

/// The fleet report as a table, then each guest's work and findings.
enum FleetText {
    static func render(_ report: FleetReport) -> String {
        // The boot check's column only when a guest was boot-checked in this run.
        let booted = report.guests.contains { $0.bootCheck != nil }
        var rows = [
            ["GUEST", "OUTCOME", "PHASE"] + (booted ? ["BOOT CHECK"] : []) + [
                report.dryRun ? "TO MOVE" : "MOVED", report.dryRun ? "ESTIMATE" : "TIME",
            ]
        ]
        for guest in report.guests {
            rows.append(
                [guest.name, guest.outcome.rawValue, phase(guest)] + (booted ? [guest.bootCheck?.stage ?? "-"] : [])
                    + [ByteCount.text(guest.bytes), ByteCount.seconds(guest.seconds)])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        for guest in report.guests where !guest.work.isEmpty || !guest.findings.isEmpty {
            text += "\n\(guest.name) (\(guest.definition))\n"
            for line in guest.work { text += "  \(line)\n" }
            for line in guest.findings { text += "  - \(line)\n" }
        }
        let counts = FleetReport.Outcome.allCases.compactMap { outcome in
            report.totals.outcomes[outcome.rawValue].map { "\($0) \(outcome.rawValue)" }
        }
        text +=
            "\n\(report.totals.guests) guest\(report.totals.guests == 1 ? "" : "s"): \(counts.joined(separator: ", ")); "
        text +=
            report.dryRun
            ? "\(ByteCount.text(report.totals.bytes)) to move, about \(ByteCount.seconds(report.totals.seconds, decimals: 0)) "
                + "with \(report.parallel) at a time\n"
            : "\(ByteCount.text(report.totals.bytes)) moved in \(ByteCount.seconds(report.totals.seconds))\n"
        if !report.assumptions.isEmpty {
            text += "The estimate assumes:\n"
            for line in report.assumptions { text += "  \(line)\n" }
        }
        return text
    }

    /// The last phase done; for a failure, the phase it stopped in too.
    static func phase(_ guest: FleetReport.Guest) -> String {
        let done = guest.phase?.rawValue ?? "-"
        return guest.failedAt.map { "\(done), failed at \($0.rawValue)" } ?? done
    }
}
