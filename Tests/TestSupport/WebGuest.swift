import Foundation

/// A three-disk Xen guest made of images: the debian12-grub2 fixture as its root (xvda1, fstab
/// naming /dev/xvda2 as swap), a swap area (xvda2) and an empty ext4 data volume (xvdb), with
/// an xl.cfg that names them, a MAC and a bridge.
public struct WebGuest: Sendable {
    public let directory: TemporaryDirectory
    public var root: String { directory.file("root.img") }
    public var swap: String { directory.file("swap.img") }
    public var data: String { directory.file("data.img") }
    public var config: String { directory.file("web02.cfg") }
    public var storage: String { directory.file("kvm") }
    public var sources: [String] { [root, swap, data] }
    public static let name = "web02"

    public static let tools = ["mke2fs", "mkswap", "debugfs", "dd", "sha256sum"]

    public init() async throws {
        directory = try TemporaryDirectory()
        try await Fixtures.makeImage(from: Fixtures.tree("debian12-grub2"), at: directory.file("root.img"), size: "64M")
        try await Command.check(
            "dd", ["if=/dev/zero", "of=\(directory.file("swap.img"))", "bs=1M", "count=16", "status=none"])
        try await Command.check("mkswap", ["-q", directory.file("swap.img")])
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", directory.file("data.img"), "16M"])
        try FileManager.default.createDirectory(atPath: directory.file("kvm"), withIntermediateDirectories: true)
        try definition().write(toFile: directory.file("web02.cfg"), atomically: true, encoding: .utf8)
    }

    /// The guest's xl.cfg, its disks named under `disks` (default: where they are; a Xen
    /// host's view of `directory` for a guest read over ssh) and with the name `name`.
    public func definition(disks: String? = nil, name: String = WebGuest.name) -> String {
        let dir = disks ?? directory.path
        return """
            name = "\(name)"
            memory = 512
            vcpus = 1
            bootloader = "pygrub"
            disk = [ 'file:\(dir)/root.img,xvda1,w', 'file:\(dir)/swap.img,xvda2,w',
                     'file:\(dir)/data.img,xvdb,w' ]
            vif = [ 'mac=00:16:3e:12:34:56,bridge=xenbr0' ]

            """
    }

    /// A guest file of a converted disk whose partition 1 starts at 1 MiB.
    public func guestFile(_ path: String, of disk: String) async throws -> String {
        let partition = directory.file("p1")
        try await Command.check("dd", ["if=\(disk)", "of=\(partition)", "bs=1M", "skip=1", "status=none"])
        defer { try? FileManager.default.removeItem(atPath: partition) }
        return try await Command.check("debugfs", ["-R", "cat \(path)", partition]).stdout
    }
}
