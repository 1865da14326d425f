import HostSystem

/// Under TCG on a busy host the emulated timer can tick too slowly for the kernel's early check
/// of the IO-APIC timer: "Kernel panic - not syncing: IO-APIC + timer doesn't work!" at 0.05 s
/// of kernel time (seen in CI with two TCG boots beside a loaded test run). It says nothing
/// about the guest, which boots on the next try, so such a boot is run again — twice at most,
/// within the one timeout — and the report says so. Any other panic is the guest's own.
enum EmulatedTimerCheck {
    static let panic = "IO-APIC + timer doesn't work"
    static let retries = 2
    /// Less than this left of the timeout is no boot: the failed one is the answer.
    static let shortestRetrySeconds = 30.0

    /// Whether a failed boot's console shows the timer check's panic.
    static func failed(_ result: BootResult, console: String) -> Bool {
        result.failure == .kernelPanic && ConsoleText.stripEscapes(console).contains(panic)
    }

    /// Runs `boot` (given the seconds it may take and, on a retry, why it runs again) until it
    /// does not end in the timer check's panic, the retries are used up or the time is.
    static func retrying(
        _ options: BootOptions,
        _ boot: (Double, String?) async throws(HostError) -> (BootResult, console: String)
    ) async throws(HostError) -> BootResult {
        let started = ContinuousClock.now
        var (result, console) = try await boot(options.timeoutSeconds, nil)
        var runs = 1
        while runs <= retries && failed(result, console: console) {
            let left = options.timeoutSeconds - BootChecker.seconds(since: started)
            guard left >= shortestRetrySeconds else { break }
            runs += 1
            options.onProgress?(
                "  the kernel's IO-APIC timer check failed under emulation (a busy host): booting again")
            let why =
                "boot \(runs): the emulated timer failed the kernel's IO-APIC check \(runs - 1) time(s) (a busy host)"
            (result, console) = try await boot(left, why)
        }
        result.seconds = BootChecker.seconds(since: started)
        return result
    }
}
