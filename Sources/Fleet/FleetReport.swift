import Migration

/// What a fleet run (or its dry run) found and did, guest by guest, and the totals.
public struct FleetReport: Sendable, Codable {
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// Dry run: it would run now.
        case ready
        /// Dry run: refused now, for a reason the operator clears without changing the guest (it
        /// still runs on Xen, a target is in the way, no storage given).
        case fixable
        /// Refused: the guest itself, its definition or its source stands in the way; or, in a
        /// real run, any refusal (nothing was written for it).
        case blocked
        /// Every phase is done and nothing it was done with has changed: nothing to do.
        case done
        /// This run did what was missing and every phase is done now.
        case finished
        /// It failed while working: the phases before are kept, the rerun goes on from there.
        case failed
        /// Another fleet run holds this guest's lock.
        case busy
    }

    public struct Guest: Sendable, Codable {
        public var name: String
        public var definition: String
        public var domain: String?
        /// Where the domain XML goes (or went): what a caller defines (the Ansible role does).
        public var domainXML: String?
        public var outcome: Outcome
        /// The last phase done (this run or before).
        public var phase: GuestState.Phase?
        /// What was redone, or is to be done, and why.
        public var work: [String]
        /// Dry run: bytes to move; a run: bytes read from the sources.
        public var bytes: UInt64
        /// A run: how long it took; dry run: the estimate.
        public var seconds: Double
        /// Refusals, failures, and what the plan and the fixes say the operator should know.
        public var findings: [String]
        public var error: String?
        /// A failure: the phase it stopped in (the one after `phase`).
        public var failedAt: GuestState.Phase?
        /// This run's boot check (`bootCheck`): booted or not, the stage reached, the console log.
        public var bootCheck: MigrationBootCheck.Proof?
    }

    public struct Totals: Sendable, Codable {
        public var guests: Int
        public var outcomes: [String: Int]
        public var bytes: UInt64
        /// Dry run: the estimated wall time of the whole run; a run: its wall time.
        public var seconds: Double
    }

    public var dryRun: Bool
    public var parallel: Int
    public var guests: [Guest]
    public var totals: Totals
    /// What the time estimate assumes (dry run).
    public var assumptions: [String]
    /// A run: every guest finished or done; dry run: every guest ready or done.
    public var allGood: Bool

    init(dryRun: Bool, parallel: Int, guests: [Guest], seconds: Double, assumptions: [String]) {
        self.dryRun = dryRun
        self.parallel = parallel
        self.guests = guests
        var outcomes: [String: Int] = [:]
        for guest in guests { outcomes[guest.outcome.rawValue, default: 0] += 1 }
        totals = Totals(
            guests: guests.count, outcomes: outcomes, bytes: guests.reduce(0) { $0 + $1.bytes }, seconds: seconds)
        self.assumptions = assumptions
        let good: Set<Outcome> = dryRun ? [.ready, .done] : [.finished, .done]
        allGood = guests.allSatisfy { good.contains($0.outcome) }
    }

    /// 0 all good; 1 a guest failed while working; 2 a guest refused (blocked, or fixable in a
    /// dry run); 75 only guests another run holds are left (try again).
    public var exitCode: Int32 {
        if allGood { return 0 }
        if guests.contains(where: { $0.outcome == .failed }) { return 1 }
        if guests.contains(where: { [.blocked, .fixable].contains($0.outcome) }) { return 2 }
        return 75
    }
}
