import Conversion

/// Where the sending side's time goes, for `XEN2KVM_TRACE_TIMING=1` (on its standard error):
/// reading the source, encoding (copies, checksums, zstd), and writing to standard output, which
/// is also the time the receiving end kept it waiting (the pipe to sshd was full).
struct SendTiming {
    private var mark = ContinuousClock.now
    private var reading = Duration.zero
    private var encoding = Duration.zero
    private var writing = Duration.zero

    mutating func read() { reading += lap() }
    mutating func encoded() { encoding += lap() }
    mutating func written() { writing += lap() }

    private mutating func lap() -> Duration {
        let now = ContinuousClock.now
        defer { mark = now }
        return now - mark
    }

    func report(_ dataBytes: UInt64) {
        func ms(_ duration: Duration) -> Int { Int(duration / .milliseconds(1)) }
        TraceTiming.note(
            "x2k send: \(dataBytes >> 20) MiB of data; reading the source \(ms(reading)) ms, encoding "
                + "\(ms(encoding)) ms, writing to standard output \(ms(writing)) ms")
    }
}
