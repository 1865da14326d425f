import Foundation

/// The repository's Fixtures/ folder and ext images built from its guest trees.
public enum Fixtures {
    /// The package root, found from this source file's path.
    public static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    public static func tree(_ guest: String) -> String { "\(packageRoot)/Fixtures/\(guest)" }

    /// Builds an ext image of `size` from a directory tree with `mke2fs -d` (no root needed).
    public static func makeImage(
        from tree: String, at image: String, type: String = "ext4", size: String = "64M",
        label: String? = nil, extraOptions: [String] = []
    ) async throws {
        var args = ["-q", "-F", "-t", type, "-d", tree]
        if let label { args += ["-L", label] }
        args += extraOptions + [image, size]
        try await Command.check("mke2fs", args)
    }
}
