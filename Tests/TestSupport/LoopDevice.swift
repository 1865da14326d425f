import Foundation

/// Attaches an image to a read-only loop device for the body and always detaches it.
public func withReadOnlyLoopDevice<T>(
    _ image: String, offset: UInt64 = 0, _ body: (String) async throws -> T
) async throws -> T {
    let device = try await Command.check(
        "losetup", ["--read-only", "--find", "--show", "--offset", "\(offset)", image]
    )
    .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    do {
        let result = try await body(device)
        try await Command.check("losetup", ["--detach", device])
        return result
    } catch {
        _ = try? await Command.run("losetup", ["--detach", device])
        throw error
    }
}
