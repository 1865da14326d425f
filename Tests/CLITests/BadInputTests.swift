import Foundation
import TestSupport
import Testing

/// Every kind of bad source gives a clear message and exit 1 — never a trap or a signal.
@Suite struct BadInputTests {
    enum Damage: String, CaseIterable {
        case missing, empty, truncated, zeroedSuperblock, randomBytes, swapSignature
    }

    static func make(_ damage: Damage, in dir: TemporaryDirectory) async throws -> String {
        let image = dir.file("\(damage.rawValue).img")
        switch damage {
        case .missing:
            return dir.file("does-not-exist.img")
        case .empty:
            _ = FileManager.default.createFile(atPath: image, contents: Data())
        case .truncated, .zeroedSuperblock:
            try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: image, size: "64M")
            if damage == .truncated {
                #expect(truncate(image, 5 << 20) == 0)
            } else {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
                try handle.seek(toOffset: 1024)
                try handle.write(contentsOf: Data(count: 1024))
                try handle.close()
            }
        case .randomBytes:
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = FileManager.default.createFile(atPath: image, contents: Data(bytes))
        case .swapSignature:
            _ = FileManager.default.createFile(atPath: image, contents: Data(count: 8 << 20))
            try await Command.check("mkswap", [image])
        }
        return image
    }

    static let expectedWords: [Damage: String] = [
        .missing: "No such file", .empty: "is empty", .truncated: "truncated",
        .zeroedSuperblock: "does not hold an ext2/ext3/ext4", .randomBytes: "does not hold an ext2/ext3/ext4",
        .swapSignature: "holds swap",
    ]

    @Test(arguments: Damage.allCases)
    func badSourceIsRefusedClearly(damage: Damage) async throws {
        guard TestEnvironment.require(tools: ["mke2fs", "mkswap"]) else { return }
        let dir = try TemporaryDirectory()
        let image = try await Self.make(damage, in: dir)
        for arguments in [["inspect", image], ["inspect", "--json", image]] {
            let result = try await Xen2KVMBinary.run(arguments)
            #expect(result.status == 1, "\(damage): exit \(result.status) \(result.stderr)")
            #expect(result.stderr.hasPrefix("xen2kvm: "))
            #expect(result.stderr.contains(Self.expectedWords[damage]!), "\(damage): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
