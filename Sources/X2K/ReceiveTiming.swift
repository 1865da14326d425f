import Conversion

/// Where the receiving side's time goes, for `XEN2KVM_TRACE_TIMING=1` and `--log`: waiting for
/// ssh to hand over bytes (the link, the ssh processes and the sender), decoding (frames,
/// checksums, copies), writing into the target, and the syncs at checkpoints. One clock read
/// per piece ssh hands over (64 KiB) and per stage: nothing next to the copy.
struct ReceiveTiming {
    private var mark = ContinuousClock.now
    private(set) var waiting = Duration.zero
    private(set) var decoding = Duration.zero
    private(set) var handling = Duration.zero
    private(set) var syncing = Duration.zero
    private(set) var syncs = 0
    private(set) var pieces = 0
    private(set) var largest = 0

    /// ssh handed over `count` bytes: the time since the last piece was handled was waiting.
    mutating func arrived(_ count: Int) {
        waiting += lap()
        pieces += 1
        largest = max(largest, count)
    }

    mutating func decoded() { decoding += lap() }

    /// The piece's records were written (the syncs among them counted apart).
    mutating func handled() { handling += lap() }

    private mutating func lap() -> Duration {
        let now = ContinuousClock.now
        defer { mark = now }
        return now - mark
    }

    mutating func synced(since start: ContinuousClock.Instant) {
        syncing += ContinuousClock.now - start
        syncs += 1
    }

    func report(_ streamBytes: UInt64) {
        func ms(_ duration: Duration) -> Int { Int(duration / .milliseconds(1)) }
        TraceTiming.note(
            "x2k receive: \(streamBytes >> 20) MiB in \(pieces) pieces from ssh (largest \(largest >> 10) KiB); "
                + "waiting for ssh \(ms(waiting)) ms, decoding \(ms(decoding)) ms, writing \(ms(handling - syncing)) ms, "
                + "\(syncs) checkpoint syncs \(ms(syncing)) ms")
    }
}
