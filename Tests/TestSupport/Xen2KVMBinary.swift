import Foundation

/// The built `xen2kvm` executable, next to the test bundle in SwiftPM's build folder.
public enum Xen2KVMBinary {
    public static var path: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = bundle.deletingLastPathComponent()
        // The runner may be inside `xen2kvmPackageTests.xctest/…`: climb to the build folder.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("xen2kvm").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return "\(Fixtures.packageRoot)/.build/debug/xen2kvm"
    }

    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        try await Command.run(path, arguments, environment: environment)
    }
}

/// sha256 of a file, to prove a source was not written.
public func sha256(_ path: String) async throws -> String {
    let output = try await Command.check("sha256sum", [path]).stdout
    return String(output.prefix { $0 != " " })
}
