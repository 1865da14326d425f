import Foundation
import GuestFixes
import Inspection
import TestSupport
import Testing

/// Reads and writes through a guest root never leave it, whatever its symlinks say.
@Suite struct GuestRootTests {
    /// A guest tree whose config files point at host paths, next to a "host" file that must
    /// stay untouched.
    static func hostileTree(_ dir: TemporaryDirectory) throws -> (root: String, hostFile: String) {
        let root = dir.file("guest")
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(root)/etc", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(root)/boot/grub", withIntermediateDirectories: true)
        let hostFile = dir.file("host-secret")
        try "host data\n".write(toFile: hostFile, atomically: true, encoding: .utf8)
        try "guest shadow\n".write(toFile: "\(root)/etc/shadow", atomically: true, encoding: .utf8)
        // Absolute link: on the host it would reach host-secret; in the guest, /<...>/host-secret.
        try fm.createSymbolicLink(atPath: "\(root)/etc/fstab", withDestinationPath: hostFile)
        try fm.createSymbolicLink(
            atPath: "\(root)/etc/crypttab", withDestinationPath: "../../../../../../../..\(hostFile)")
        try fm.createSymbolicLink(atPath: "\(root)/etc/passwd", withDestinationPath: "/etc/shadow")
        try "title x\n".write(toFile: "\(root)/boot/grub/grub.conf", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: "\(root)/boot/grub/menu.lst", withDestinationPath: "./grub.conf")
        return (root, hostFile)
    }

    @Test func hostPathsAreUnreachable() throws {
        let dir = try TemporaryDirectory()
        let (rootPath, hostFile) = try Self.hostileTree(dir)
        let root = try GuestRoot(path: rootPath)
        #expect(try root.read("/etc/fstab") == nil)
        #expect(try root.read("/etc/crypttab") == nil)
        #expect(try root.read("/etc/passwd") == "guest shadow\n")
        #expect(try root.read("/../../etc/shadow") == "guest shadow\n")

        // Writing through the hostile links resolves inside the guest, where the linked
        // directories do not exist: an error, and the host file is untouched.
        #expect(throws: GuestFixError.self) { try root.write("/etc/fstab", "edited\n") }
        #expect(throws: GuestFixError.self) { try root.write("/etc/crypttab", "edited\n") }
        #expect(try String(contentsOfFile: hostFile, encoding: .utf8) == "host data\n")
        // Where the guest has those directories, the guest's own file is written.
        try FileManager.default.createDirectory(
            atPath: rootPath + dir.path, withIntermediateDirectories: true)
        try root.write("/etc/fstab", "edited\n")
        #expect(try String(contentsOfFile: rootPath + hostFile, encoding: .utf8) == "edited\n")
        #expect(try String(contentsOfFile: hostFile, encoding: .utf8) == "host data\n")
    }

    @Test func symlinkedConfigStaysASymlink() throws {
        let dir = try TemporaryDirectory()
        let (rootPath, _) = try Self.hostileTree(dir)
        let root = try GuestRoot(path: rootPath)
        try root.write("/boot/grub/menu.lst", "title edited\n")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "\(rootPath)/boot/grub/menu.lst")
        #expect(link == "./grub.conf")
        #expect(try String(contentsOfFile: "\(rootPath)/boot/grub/grub.conf", encoding: .utf8) == "title edited\n")
    }

    /// Inspection gives the same guest facts from a directory tree as from an ext image.
    @Test(
        .requires(tools: ["mke2fs"]),
        arguments: ["centos5", "centos6", "centos7", "debian12-grub2", "debian-pygrub-legacy"])
    func inspectionOfATreeMatchesTheImage(fixture: String) async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("guest.img")
        try await Fixtures.makeImage(from: Fixtures.tree(fixture), at: image)
        let fromImage = try #require(try Inspector.inspect(image).guest)
        let fromTree = GuestInspector.inspect(try GuestRoot(path: Fixtures.tree(fixture)))
        #expect(fromTree == fromImage)
    }
}
