import Foundation
import Subprocess

/// The outcome of one finished external command.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var succeeded: Bool { status == 0 }
}

public enum CommandError: Error, CustomStringConvertible {
    case failed(command: String, result: CommandResult)

    public var description: String {
        switch self {
        case .failed(let command, let result):
            return "\(command) exited \(result.status): \(result.stderr)\(result.stdout)"
        }
    }
}

/// Runs host tools (sfdisk, mke2fs, the built xen2kvm binary …) from tests.
public enum Command {
    /// Runs `executable` (a name looked up in PATH plus /sbin and /usr/sbin, or a path).
    public static func run(
        _ executable: String, _ arguments: [String], environment extra: [String: String] = [:]
    ) async throws -> CommandResult {
        let exe: Executable = executable.contains("/") ? .path(.init(executable)) : .name(executable)
        var env: [Environment.Key: String?] = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        ]
        for (key, value) in extra { env[Environment.Key(stringLiteral: key)] = value }
        let result = try await Subprocess.run(
            exe, arguments: Arguments(arguments), environment: .inherit.updating(env),
            output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        return CommandResult(
            status: status, stdout: result.standardOutput, stderr: result.standardError)
    }

    /// Runs a command that must succeed; throws with its output otherwise.
    @discardableResult
    public static func check(_ executable: String, _ arguments: [String]) async throws -> CommandResult {
        let result = try await run(executable, arguments)
        guard result.succeeded else {
            throw CommandError.failed(
                command: ([executable] + arguments).joined(separator: " "), result: result)
        }
        return result
    }
}
