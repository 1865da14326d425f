import HostSystem

extension ConversionError {
    init(_ error: HostError) {
        switch error {
        case .failed(let text): self = .failed(text)
        case .interrupted(let text): self = .interrupted(text)
        }
    }
}

/// HostSystem calls with their errors in Conversion's terms.
enum Host {
    static func run(_ name: String, _ arguments: [String], package: String) async throws(ConversionError)
        -> HostTool.Outcome
    {
        do {
            return try await HostTool.run(name, arguments, package: package)
        } catch {
            throw ConversionError(error)
        }
    }

    static func stopIfInterrupted(_ during: String) throws(ConversionError) {
        do {
            try Cancellation.check(during)
        } catch {
            throw ConversionError(error)
        }
    }

    /// Async for its callers (it once ran losetup); the attach itself is two ioctls now.
    static func attach(_ loops: LoopMounts, _ path: String, offset: UInt64 = 0, length: UInt64? = nil, readOnly: Bool)
        async throws(ConversionError) -> String
    {
        do {
            return try loops.attach(path, offset: offset, length: length, readOnly: readOnly)
        } catch {
            throw ConversionError(error)
        }
    }

    static func mount(_ loops: LoopMounts, _ device: String, options: String, label: String)
        async throws(ConversionError) -> String
    {
        do {
            return try await loops.mount(device, options: options, label: label)
        } catch {
            throw ConversionError(error)
        }
    }
}
