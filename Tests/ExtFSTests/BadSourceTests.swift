import ExtFS
import Foundation
import TestSupport
import Testing

/// Sources that are not a readable ext filesystem get a clear, typed error — never a crash.
@Suite struct BadSourceTests {
    static func validImage(_ dir: TemporaryDirectory) async throws -> String {
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(atPath: "\(tree)/etc", withIntermediateDirectories: true)
        try "hello\n".write(toFile: "\(tree)/etc/motd", atomically: true, encoding: .utf8)
        let image = dir.file("good.img")
        try await Fixtures.makeImage(from: tree, at: image, size: "16M")
        return image
    }

    @Test func missingFile() throws {
        #expect {
            try ExtFilesystem(path: "/nonexistent/xen2kvm/disk.img")
        } throws: { error in
            guard case .cannotOpen = error as? ExtFSError else { return false }
            return "\(error)".contains("/nonexistent/xen2kvm/disk.img")
        }
    }

    @Test func emptyFile() throws {
        let dir = try TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir.file("empty.img"), contents: Data())
        #expect(throws: ExtFSError.empty(path: dir.file("empty.img"))) {
            try ExtFilesystem(path: dir.file("empty.img"))
        }
    }

    @Test func randomBytes() throws {
        let dir = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        _ = FileManager.default.createFile(atPath: dir.file("random.img"), contents: Data(bytes))
        #expect {
            try ExtFilesystem(path: dir.file("random.img"))
        } throws: { error in
            guard case .notExt = error as? ExtFSError else { return false }
            return true
        }
    }

    @Test(.requires(tools: ["mke2fs"]))
    func zeroedSuperblock() async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.validImage(dir)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try handle.seek(toOffset: 1024)
        try handle.write(contentsOf: Data(count: 1024))
        try handle.close()
        #expect {
            try ExtFilesystem(path: image)
        } throws: { error in
            guard case .notExt = error as? ExtFSError else { return false }
            return true
        }
    }

    @Test(.requires(tools: ["mke2fs"]), arguments: [3000, 1 << 20, 8 << 20])
    func truncatedImage(keptBytes: Int) async throws {
        let dir = try TemporaryDirectory()
        let image = try await Self.validImage(dir)
        #expect(truncate(image, off_t(keptBytes)) == 0)
        #expect {
            try ExtFilesystem(path: image)
        } throws: { error in
            switch error as? ExtFSError {
            case .truncated(_, let fsBytes, let sourceBytes):
                return fsBytes == 16 << 20 && sourceBytes == UInt64(keptBytes)
            case .corrupt: return true
            default: return false
            }
        }
    }
}
