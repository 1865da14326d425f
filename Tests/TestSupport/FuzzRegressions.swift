import Foundation

/// The inputs the fuzz harnesses (Fuzz/) once crashed on, kept in Fuzz/Regressions/HARNESS/:
/// each runs through the same code in a regular test, so a fix that regresses fails `make test`
/// without any fuzzing.
public enum FuzzRegressions {
    public static func directory(_ harness: String) -> String {
        "\(Fixtures.packageRoot)/Fuzz/Regressions/\(harness)"
    }

    /// The names of the committed inputs of `harness`, sorted (for test arguments).
    public static func names(_ harness: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory(harness))) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
    }

    public static func input(_ harness: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory(harness))/\(name)")))
    }

    /// Piece `slot` of a guest-files input (FuzzGuestConfig, FuzzGuestEdits: files separated by
    /// NUL, in the order of GuestFiles.paths in Fuzz/Sources/FuzzGuestFiles), as text.
    public static func guestFile(_ harness: String, _ name: String, slot: Int) throws -> String {
        let pieces = try input(harness, name).split(separator: 0, omittingEmptySubsequences: false)
        return slot < pieces.count ? String(decoding: pieces[slot], as: UTF8.self) : ""
    }
}
