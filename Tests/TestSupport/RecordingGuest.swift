import ExtFS
import Foundation

/// A copy of a fixture guest made ready to run a guest helper in: every stand-in program (an
/// executable `# xen2kvm fixture: stand-in for …` script) becomes Fixtures/stand-in-recorder,
/// which appends how it was called to `calls`, and busybox gives the shell and the coreutils a
/// real guest has, in /usr/local/bin (on the PATH guest programs get).
public enum RecordingGuest {
    public static let calls = "/xen2kvm-test/calls"
    public static let shell = "/usr/local/bin/sh"
    static let busybox = "/xen2kvm-test/busybox"
    /// What the helpers use besides the distro's own programs.
    static let applets = ["sh", "cp", "cat", "sed", "ls", "mkdir", "rm", "test", "["]

    /// Prepares `tree`; with `binSh`, /bin/sh is busybox too (a guest session runs helpers with it).
    public static func prepare(_ tree: String, binSh: Bool = false) async throws {
        let fm = FileManager.default
        let recorder = try String(contentsOfFile: "\(Fixtures.packageRoot)/Fixtures/stand-in-recorder", encoding: .utf8)
        let files = fm.enumerator(atPath: tree)
        while let relative = files?.nextObject() as? String {
            let path = "\(tree)/\(relative)"
            guard fm.isExecutableFile(atPath: path),
                (try fm.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular,
                let text = try? String(contentsOfFile: path, encoding: .utf8),
                text.hasPrefix("#!/bin/sh\n# xen2kvm fixture: stand-in for ")
            else { continue }
            try recorder.write(toFile: path, atomically: false, encoding: .utf8)
        }
        // /bin may be a link into a /usr/bin the fixture does not have (merged /usr).
        let bin = (try? fm.destinationOfSymbolicLink(atPath: tree + "/bin")).map { "/" + $0 } ?? "/bin"
        for folder in ["/xen2kvm-test", "/usr/local/bin", "/dev", "/tmp", bin] {
            try fm.createDirectory(atPath: tree + folder, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: "/bin/busybox", toPath: tree + busybox)
        for applet in applets {
            try fm.createSymbolicLink(atPath: "\(tree)/usr/local/bin/\(applet)", withDestinationPath: busybox)
        }
        if binSh {
            try? fm.removeItem(atPath: tree + "/bin/sh")
            try fm.createSymbolicLink(atPath: tree + "/bin/sh", withDestinationPath: busybox)
        }
        if !fm.fileExists(atPath: tree + "/dev/null") {
            try await Command.check("mknod", ["-m", "666", tree + "/dev/null", "c", "1", "3"])
        }
    }

    /// The calls a fixture's helper must make: Fixtures/expected/<fixture>.calls.
    public static func expectedCalls(_ fixture: String) throws -> String {
        try String(contentsOfFile: "\(Fixtures.packageRoot)/Fixtures/expected/\(fixture).calls", encoding: .utf8)
    }

    /// The calls recorded in the guest filesystem of a disk image (partition 1 at `offset`).
    public static func recordedCalls(inImage image: String, offset: UInt64 = 1 << 20) throws -> String {
        let fs = try ExtFilesystem(path: image, offset: offset)
        guard fs.exists(calls) else { return "" }
        return String(decoding: try fs.readFile(calls), as: UTF8.self)
    }

    /// Whether the guest filesystem of a disk image has `path`.
    public static func exists(_ path: String, inImage image: String, offset: UInt64 = 1 << 20) throws -> Bool {
        try ExtFilesystem(path: image, offset: offset).exists(path)
    }
}
