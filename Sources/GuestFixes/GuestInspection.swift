import Inspection

/// Where `fix` inspects the mounted guest: its os-release, bootloader configs, fstab, network
/// and initrds (the cpio reader and the C decompressors) are hostile input. In this process
/// for the library and its tests; the CLI reads them in its contained parser child, where a
/// crash or a hang is "the image is damaged".
public struct GuestInspection: Sendable {
    public var inspect: @Sendable (_ root: String) async -> Result<GuestReport, GuestFixFailure>

    public init(_ inspect: @escaping @Sendable (String) async -> Result<GuestReport, GuestFixFailure>) {
        self.inspect = inspect
    }

    public static let inProcess = GuestInspection { root in
        do throws(GuestFixError) {
            return .success(GuestInspector.inspect(try GuestRoot(path: root)))
        } catch {
            return .failure(.edit(error))
        }
    }
}
