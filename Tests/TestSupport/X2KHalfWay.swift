import Foundation

/// Kills a run on the KVM host once its x2k transfer has checkpointed half the data: what the
/// resume tests of convert and migrate start from.
public enum X2KHalfWay {
    public struct Killed: Sendable {
        /// Data bytes checkpointed when the kill came, and the transfer's whole.
        public var checkpointed: UInt64
        public var total: UInt64
        public var run: CommandResult
    }

    /// Starts `command` on the KVM host, waits (up to a minute) until the transfer state at `state`
    /// says half the data is checkpointed, then sends SIGKILL to `victim` (a shell word: the
    /// command's own `$pid` by default, or e.g. the sender's pid file read on the Xen side).
    public static func kill(
        _ hosts: TestHosts, _ command: [String], state: String, victim: String = "$pid"
    ) async throws -> Killed {
        let line = command.map { "'\($0)'" }.joined(separator: " ")
        let script = """
            \(line) & pid=$!
            for i in $(seq 1200); do
              if [ -e \(state) ]; then
                done=$(grep -o '"dataCheckpointed":[0-9]*' \(state) | cut -d: -f2)
                total=$(grep -o '"dataTotal":[0-9]*' \(state) | cut -d: -f2)
                [ -n "$done" ] && [ $((done * 2)) -ge "$total" ] && break
              fi
              sleep 0.05
            done
            kill -9 \(victim)
            wait $pid; status=$?
            echo "killed at $done of $total"
            exit $status
            """
        let run = try await hosts.run(on: .kvm, ["sh", "-c", script])
        let words = run.stdout.split(separator: "\n").last?.split(separator: " ") ?? []
        let number = { (index: Int) in words.count >= 5 ? UInt64(words[index]) ?? 0 : 0 }
        return Killed(checkpointed: number(2), total: number(4), run: run)
    }
}
