import ExtFS
import Foundation
import TestSupport
import Testing

/// Guest paths are untrusted: lookups must stay inside the guest filesystem.
@Suite struct GuestFilesTests {
    /// A tree whose symlinks try to leave the guest root, as an image.
    static func hostileImage(in dir: TemporaryDirectory) async throws -> String {
        let tree = dir.file("tree")
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(tree)/etc/sub", withIntermediateDirectories: true)
        try "guest-shadow\n".write(toFile: "\(tree)/etc/shadow", atomically: true, encoding: .utf8)
        try "guest-passwd\n".write(toFile: "\(tree)/etc/passwd", atomically: true, encoding: .utf8)
        try "real\n".write(toFile: "\(tree)/etc/sub/real.conf", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: "\(tree)/etc/os-release", withDestinationPath: "/etc/shadow")
        try fm.createSymbolicLink(
            atPath: "\(tree)/etc/climb", withDestinationPath: "../../../../../../../etc/passwd")
        try fm.createSymbolicLink(atPath: "\(tree)/etc/loop-a", withDestinationPath: "loop-b")
        try fm.createSymbolicLink(atPath: "\(tree)/etc/loop-b", withDestinationPath: "loop-a")
        try fm.createSymbolicLink(atPath: "\(tree)/etc/dangling", withDestinationPath: "/nowhere/at/all")
        try fm.createSymbolicLink(atPath: "\(tree)/etc/relative", withDestinationPath: "sub/real.conf")
        // A slow symlink: a target longer than the 60 bytes that fit in the inode.
        let long = "/etc/sub/" + String(repeating: "x", count: 80)
        try "long\n".write(toFile: "\(tree)\(long)", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: "\(tree)/etc/long-link", withDestinationPath: long)
        let image = dir.file("hostile.img")
        try await Fixtures.makeImage(from: tree, at: image, size: "8M")
        return image
    }

    @Test(.requires(tools: ["mke2fs"]))
    func absoluteSymlinkResolvesInsideTheGuest() async throws {
        let dir = try TemporaryDirectory()
        let fs = try ExtFilesystem(path: try await Self.hostileImage(in: dir))
        #expect(try fs.readText("/etc/os-release", limit: 1024) == "guest-shadow\n")
        #expect(try fs.symlinkTarget("/etc/os-release") == "/etc/shadow")
    }

    @Test(.requires(tools: ["mke2fs"]))
    func dotDotNeverClimbsAboveTheRoot() async throws {
        let dir = try TemporaryDirectory()
        let fs = try ExtFilesystem(path: try await Self.hostileImage(in: dir))
        #expect(try fs.readText("/etc/climb", limit: 1024) == "guest-passwd\n")
        #expect(try fs.readText("/../../../etc/passwd", limit: 1024) == "guest-passwd\n")
    }

    @Test(.requires(tools: ["mke2fs"]))
    func loopsAndDanglingLinksAreErrorsNotCrashes() async throws {
        let dir = try TemporaryDirectory()
        let fs = try ExtFilesystem(path: try await Self.hostileImage(in: dir))
        #expect(throws: ExtFSError.guestSymlinkLoop("/etc/loop-a")) { try fs.readFile("/etc/loop-a") }
        #expect(throws: ExtFSError.guestPathNotFound("/etc/dangling")) { try fs.readFile("/etc/dangling") }
        #expect(try fs.readText("/etc/dangling", limit: 10) == nil)
        #expect(fs.kind(at: "/etc/dangling") == nil)
        #expect(fs.kind(at: "/etc/dangling", followLast: false) == .symlink)
    }

    @Test(.requires(tools: ["mke2fs"]))
    func relativeAndSlowSymlinksAreFollowed() async throws {
        let dir = try TemporaryDirectory()
        let fs = try ExtFilesystem(path: try await Self.hostileImage(in: dir))
        #expect(try fs.readText("/etc/relative", limit: 1024) == "real\n")
        #expect(try fs.readText("/etc/long-link", limit: 1024) == "long\n")
        #expect(try fs.symlinkTarget("/etc/long-link")?.count == 89)
    }

    @Test(.requires(tools: ["mke2fs"]))
    func listsDirectoriesWithKinds() async throws {
        let dir = try TemporaryDirectory()
        let fs = try ExtFilesystem(path: try await Self.hostileImage(in: dir))
        let entries = try fs.listDirectory("/etc")
        #expect(entries.first { $0.name == "sub" }?.kind == .directory)
        #expect(entries.first { $0.name == "shadow" }?.kind == .file)
        #expect(entries.first { $0.name == "os-release" }?.kind == .symlink)
        #expect(!entries.contains { $0.name == "." || $0.name == ".." })
        #expect(throws: ExtFSError.guestPathNotADirectory("/etc/shadow")) { try fs.listDirectory("/etc/shadow") }
    }
}
