import Foundation

/// TCG boots are CPU-bound: more at once than there are cores only makes each one slower,
/// until boots run into their timeouts on a loaded CI machine. Every test boot takes a slot;
/// all test targets run in one process, so the limit holds across suites.
public actor BootSlots {
    public static let shared = BootSlots(count: max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// How long a boot that must reach its login prompt may take. Generous: a TCG boot takes
    /// 30-90 s alone and several minutes beside the rest of a CI run on two cores; what is
    /// proven is that it gets there (speed lives in `make bench`), and only a failing boot
    /// waits this long.
    public static let loginSeconds = 900

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    /// Runs `body` once a slot is free.
    public static func boot<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let result = try await body()
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
