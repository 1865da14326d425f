/// A planned change shown the way `diff -u` (and `git diff`) shows it: `--- a/PATH`,
/// `+++ b/PATH`, then hunks of changed lines with three lines of context. A created file is
/// compared with /dev/null, a removed one against it.
///
/// The line matching is Myers' O((N+M)·D) shortest edit script; within each run of changes
/// the removed lines come before the added ones, as diff prints them.
public enum UnifiedDiff {
    public static let context = 3

    public static func render(_ change: FileChange) -> String {
        guard change.before != change.after else { return "" }
        let old = lines(change.before ?? "")
        let new = lines(change.after ?? "")
        let relative = change.path.hasPrefix("/") ? String(change.path.dropFirst()) : change.path
        var out = "--- " + (change.before == nil ? "/dev/null" : "a/" + relative) + "\n"
        out += "+++ " + (change.after == nil ? "/dev/null" : "b/" + relative) + "\n"
        for hunk in hunks(script(old, new)) {
            out += header(hunk)
            for operation in hunk.operations {
                switch operation {
                case .same(let index, _): out += line(" ", old[index])
                case .removed(let index): out += line("-", old[index])
                case .added(let index): out += line("+", new[index])
                }
            }
        }
        return out
    }

    /// One step of an edit script: indices into the old and new lines.
    enum Operation: Equatable {
        case same(old: Int, new: Int)
        case removed(old: Int)
        case added(new: Int)

        var isChange: Bool {
            if case .same = self { return false }
            return true
        }
    }

    struct Hunk {
        var oldStart: Int
        var oldCount: Int
        var newStart: Int
        var newCount: Int
        var operations: [Operation]
    }

    /// Lines with their terminating newline, if any: "a\nb" → ["a\n", "b"].
    static func lines(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = text[start...].firstIndex(of: "\n").map { text.index(after: $0) } ?? text.endIndex
            result.append(text[start..<end])
            start = end
        }
        return result
    }

    private static func line(_ mark: String, _ text: Substring) -> String {
        text.hasSuffix("\n") ? mark + text : mark + text + "\n\\ No newline at end of file\n"
    }

    private static func header(_ hunk: Hunk) -> String {
        func range(_ start: Int, _ count: Int) -> String {
            // diff numbers lines from 1; an empty range names the line before it.
            let first = count == 0 ? start : start + 1
            return count == 1 ? "\(first)" : "\(first),\(count)"
        }
        return "@@ -\(range(hunk.oldStart, hunk.oldCount)) +\(range(hunk.newStart, hunk.newCount)) @@\n"
    }

    /// The shortest edit script from `old` to `new`.
    static func script(_ old: [Substring], _ new: [Substring]) -> [Operation] {
        // Common head and tail need no search.
        var head = 0
        while head < old.count, head < new.count, old[head] == new[head] { head += 1 }
        var tail = 0
        while tail < old.count - head, tail < new.count - head,
            old[old.count - 1 - tail] == new[new.count - 1 - tail]
        {
            tail += 1
        }
        var result = (0..<head).map { Operation.same(old: $0, new: $0) }
        result += myers(old, new, oldRange: head..<(old.count - tail), newRange: head..<(new.count - tail))
        result += (0..<tail).map { Operation.same(old: old.count - tail + $0, new: new.count - tail + $0) }
        return groupChanges(result)
    }

    /// Myers' greedy algorithm, keeping each round's furthest reaching paths to trace back.
    private static func myers(
        _ old: [Substring], _ new: [Substring], oldRange: Range<Int>, newRange: Range<Int>
    ) -> [Operation] {
        let n = oldRange.count
        let m = newRange.count
        if n == 0 { return newRange.map { .added(new: $0) } }
        if m == 0 { return oldRange.map { .removed(old: $0) } }
        let a = oldRange.lowerBound
        let b = newRange.lowerBound
        let offset = n + m
        var frontier = [Int](repeating: 0, count: 2 * offset + 2)
        var trace: [[Int]] = []
        search: for d in 0...(n + m) {
            trace.append(frontier)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && frontier[offset + k - 1] < frontier[offset + k + 1]) {
                    x = frontier[offset + k + 1]  // down: an added line
                } else {
                    x = frontier[offset + k - 1] + 1  // right: a removed line
                }
                var y = x - k
                while x < n, y < m, old[a + x] == new[b + y] {
                    x += 1
                    y += 1
                }
                frontier[offset + k] = x
                if x >= n && y >= m { break search }
            }
        }
        // Walk back from (n, m) through the saved frontiers.
        var operations: [Operation] = []
        var x = n
        var y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let saved = trace[d]
            let k = x - y
            let previousK: Int
            if k == -d || (k != d && saved[offset + k - 1] < saved[offset + k + 1]) {
                previousK = k + 1
            } else {
                previousK = k - 1
            }
            let previousX = d == 0 ? 0 : saved[offset + previousK]
            let previousY = previousX - previousK
            while x > previousX && y > previousY {
                x -= 1
                y -= 1
                operations.append(.same(old: a + x, new: b + y))
            }
            if d > 0 {
                if x == previousX {
                    operations.append(.added(new: b + previousY))
                } else {
                    operations.append(.removed(old: a + previousX))
                }
            }
            x = previousX
            y = previousY
        }
        return operations.reversed()
    }

    /// Within each run of changes, removed lines first, then added ones.
    private static func groupChanges(_ operations: [Operation]) -> [Operation] {
        var result: [Operation] = []
        var removed: [Operation] = []
        var added: [Operation] = []
        for operation in operations {
            switch operation {
            case .removed: removed.append(operation)
            case .added: added.append(operation)
            case .same:
                result += removed + added + [operation]
                removed = []
                added = []
            }
        }
        return result + removed + added
    }

    /// Changes with their context; changes at most 2·context lines apart share one hunk.
    static func hunks(_ operations: [Operation]) -> [Hunk] {
        let changes = operations.indices.filter { operations[$0].isChange }
        guard let first = changes.first else { return [] }
        var groups: [(start: Int, end: Int)] = [(first, first)]
        for index in changes.dropFirst() {
            if index - groups[groups.count - 1].end - 1 <= 2 * context {
                groups[groups.count - 1].end = index
            } else {
                groups.append((index, index))
            }
        }
        // Lines before operation i in each file.
        var oldBefore = [Int](repeating: 0, count: operations.count + 1)
        var newBefore = [Int](repeating: 0, count: operations.count + 1)
        for (index, operation) in operations.enumerated() {
            switch operation {
            case .same:
                oldBefore[index + 1] = oldBefore[index] + 1
                newBefore[index + 1] = newBefore[index] + 1
            case .removed:
                oldBefore[index + 1] = oldBefore[index] + 1
                newBefore[index + 1] = newBefore[index]
            case .added:
                oldBefore[index + 1] = oldBefore[index]
                newBefore[index + 1] = newBefore[index] + 1
            }
        }
        return groups.map { group in
            let start = max(0, group.start - context)
            let end = min(operations.count, group.end + 1 + context)
            return Hunk(
                oldStart: oldBefore[start], oldCount: oldBefore[end] - oldBefore[start],
                newStart: newBefore[start], newCount: newBefore[end] - newBefore[start],
                operations: Array(operations[start..<end]))
        }
    }
}
