import Foundation

/// Attaches `file` (from `offset`, at most `sizeLimit` bytes) to a loop device for the body
/// and always detaches it.
public func withLoopDevice<T>(
    _ file: String, offset: UInt64 = 0, sizeLimit: UInt64? = nil, readOnly: Bool = false,
    _ body: (String) async throws -> T
) async throws -> T {
    var arguments = ["--find", "--show", "--offset", "\(offset)"]
    if let sizeLimit { arguments += ["--sizelimit", "\(sizeLimit)"] }
    if readOnly { arguments.insert("--read-only", at: 0) }
    let device = try await Command.check("losetup", arguments + [file]).stdout
        .trimmingCharacters(in: .whitespacesAndNewlines)
    do {
        let result = try await body(device)
        try await Command.check("losetup", ["--detach", device])
        return result
    } catch {
        _ = try? await Command.run("losetup", ["--detach", device])
        throw error
    }
}

/// Attaches an image to a read-only loop device for the body and always detaches it.
public func withReadOnlyLoopDevice<T>(
    _ image: String, offset: UInt64 = 0, _ body: (String) async throws -> T
) async throws -> T {
    try await withLoopDevice(image, offset: offset, readOnly: true, body)
}
