import FoundationEssentials

extension XenDefinition {
    /// The whole reading as JSON with sorted keys: byte-identical for the same input on every
    /// run, what `--json` prints and the golden tests compare.
    public func stableJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs, strings and numbers cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
