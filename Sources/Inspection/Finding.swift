/// Something inspection noticed that matters for the move to KVM.
public struct Finding: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable, Comparable {
        /// Conversion cannot produce a booting guest until the operator acts.
        case blocker
        /// Must change for KVM; xen2kvm's guest fixes do it (the message says what).
        case warning
        /// Worth knowing; nothing to do.
        case info

        private var rank: Int { self == .blocker ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    /// Stable identifier for scripts: never reworded, only added to.
    public var code: String
    /// Names the file and says what will be done or must be done.
    public var message: String
    /// The guest file the finding is about, when there is one.
    public var file: String?

    public init(_ severity: Severity, _ code: String, _ message: String, file: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.file = file
    }
}

/// The overall answer: can this disk be converted as it is?
public enum Readiness: String, Sendable, Codable {
    /// Nothing Xen-specific found.
    case ready
    /// Xen-isms found that `convert` fixes on its own.
    case fixable
    /// A blocker must be solved by the operator first.
    case blocked

    static func from(_ findings: [Finding]) -> Readiness {
        if findings.contains(where: { $0.severity == .blocker }) { return .blocked }
        if findings.contains(where: { $0.severity == .warning }) { return .fixable }
        return .ready
    }
}
