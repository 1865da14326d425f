import Foundation
import Subprocess

/// Runs the xen2kvm binary and sends `signal` once a line containing `trigger` appears on
/// its standard error (progress lines go there), after running `meanwhile` (what should not
/// disturb the run at that point). Returns the exit status and the output.
/// With `throttle`, the program reads its disk no faster than the throttle allows, so a copy
/// is still under way when the signal lands, however busy the machine running the tests is.
public func runXen2KVM(
    _ arguments: [String], signal: Int32, when trigger: String, environment: [String: String] = [:],
    throttle: ReadThrottle? = nil, meanwhile: @Sendable () async throws -> Void = {}
) async throws -> CommandResult {
    try await runXen2KVM(
        arguments, signal: signal, when: trigger, environment: environment, throttle: throttle,
        meanwhileWithPID: { _ in try await meanwhile() })
}

/// The same, with the program's pid given to `meanwhile` (what runs under it can be looked at).
public func runXen2KVM(
    _ arguments: [String], signal: Int32, when trigger: String, environment: [String: String] = [:],
    throttle: ReadThrottle? = nil, meanwhileWithPID meanwhile: @Sendable (Int32) async throws -> Void
) async throws -> CommandResult {
    var env: [Environment.Key: String?] = [:]
    for (key, value) in environment { env[Environment.Key(stringLiteral: key)] = value }
    let (executable, wrapped) = throttle?.wrap(Xen2KVMBinary.path, arguments) ?? (Xen2KVMBinary.path, arguments)
    let result = try await Subprocess.run(
        .path(.init(executable)), arguments: Arguments(wrapped), environment: .inherit.updating(env),
        input: .none,
        output: .string(limit: 1 << 20), error: .sequence
    ) { execution in
        var text = ""
        var sent = false
        for try await line in execution.standardError.strings() {
            text += line
            if !sent && line.contains(trigger) {
                try await meanwhile(execution.processIdentifier.value)
                try execution.send(signal: Signal(rawValue: signal))
                sent = true
            }
        }
        return (text, sent)
    }
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = code
    case .signaled(let number): status = 128 + number
    }
    let (stderr, sent) = result.closureResult
    return CommandResult(
        status: status, stdout: result.standardOutput, stderr: sent ? stderr : "SIGNAL NOT SENT\n" + stderr)
}

/// Tries to start a VM on `disk` the way a hypervisor would (paused, no display), and returns
/// QEMU's exit status and message: a disk xen2kvm is working on must make it refuse at once
/// ("Failed to lock byte 100"); a VM that did start is stopped after a few seconds (status 124).
public func startVM(on disk: String) async throws -> CommandResult {
    try await Command.run(
        "timeout",
        [
            "5", "qemu-system-x86_64", "-machine", "pc,accel=tcg", "-display", "none", "-S", "-nodefaults",
            "-drive", "file=\(disk),format=raw,if=virtio",
        ])
}
