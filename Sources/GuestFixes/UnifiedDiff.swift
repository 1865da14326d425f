/// `diff -u` style text of a change (placeholder until the line diff lands: whole-file hunk).
public enum UnifiedDiff {
    public static func render(_ change: FileChange) -> String {
        var out = "--- a\(change.path)\n+++ b\(change.path)\n"
        for line in (change.before ?? "").split(separator: "\n", omittingEmptySubsequences: false) { out += "-\(line)\n" }
        for line in (change.after ?? "").split(separator: "\n", omittingEmptySubsequences: false) { out += "+\(line)\n" }
        return out
    }
}
