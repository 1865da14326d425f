import HostSystem
import Synchronization
import Testing

@testable import BootCheck

/// The kernel's IO-APIC timer check failing under a busy host's emulation is retried; any other
/// outcome is the answer at once.
@Suite struct EmulatedTimerCheckTests {
    static let timerPanic = """
        [    0.072000] Kernel panic - not syncing: IO-APIC + timer doesn't work!  Boot with apic=debug and \
        send a report.  Then try booting with the 'noapic' option.
        """

    static func result(_ stage: BootStage, _ failure: BootFailure?) -> BootResult {
        BootResult(
            stage: stage, failure: failure, accelerator: .tcg, acceleratorReason: "asked for (--accel tcg)",
            seconds: 1, consoleLog: "/dev/null", lastLines: [], events: BootEvents.read(""))
    }

    /// Runs `retrying` over these outcomes in turn; returns its result, the boots run and why each ran.
    static func run(_ outcomes: [(BootResult, String)], timeout: Double = 900) async throws -> (
        BootResult, [Double], [String?]
    ) {
        var options = BootOptions(disk: "/dev/null")
        options.timeoutSeconds = timeout
        let calls = Mutex<([Double], [String?])>(([], []))
        let result = try await EmulatedTimerCheck.retrying(options) { (seconds, again) async throws(HostError) in
            let index = calls.withLock { calls in
                calls.0.append(seconds)
                calls.1.append(again)
                return calls.0.count - 1
            }
            return outcomes[index]
        }
        let (seconds, reasons) = calls.withLock { $0 }
        return (result, seconds, reasons)
    }

    @Test func aTimerCheckPanicIsBootedAgain() async throws {
        let (result, seconds, reasons) = try await Self.run([
            (Self.result(.kernel, .kernelPanic), "Loading Linux\n\u{1B}[0m" + Self.timerPanic),
            (Self.result(.login, nil), "login:"),
        ])
        #expect(result.booted)
        #expect(seconds.count == 2 && seconds[0] == 900 && seconds[1] <= 900)
        #expect(reasons[0] == nil && reasons[1]?.contains("IO-APIC check 1 time(s)") == true, "\(reasons)")
    }

    @Test func atMostTwiceMore() async throws {
        let panicked = (Self.result(.kernel, .kernelPanic), Self.timerPanic)
        let (result, seconds, _) = try await Self.run([panicked, panicked, panicked, panicked])
        #expect(result.failure == .kernelPanic && seconds.count == 3)
    }

    @Test func anyOtherOutcomeIsTheAnswer() async throws {
        let ownPanic = "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
        for outcome in [
            (Self.result(.kernel, .kernelPanic), ownPanic), (Self.result(.bootloader, .timeout), Self.timerPanic),
            (Self.result(.login, nil), "login:"),
        ] {
            let (_, seconds, _) = try await Self.run([outcome, (Self.result(.login, nil), "login:")])
            #expect(seconds.count == 1, "\(outcome.1)")
        }
    }

    /// No retry without the time for a boot.
    @Test func noRetryPastTheTimeout() async throws {
        let panicked = (Self.result(.kernel, .kernelPanic), Self.timerPanic)
        let (_, seconds, _) = try await Self.run([panicked, panicked], timeout: 20)
        #expect(seconds.count == 1)
    }
}
