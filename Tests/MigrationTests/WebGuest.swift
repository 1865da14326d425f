import Foundation
import TestSupport

/// A three-disk Xen guest made of images: the debian12-grub2 fixture as its root (xvda1, fstab
/// naming /dev/xvda2 as swap), a swap area (xvda2) and an empty ext4 data volume (xvdb), with
/// an xl.cfg that names them, a MAC and a bridge.
struct WebGuest {
    let directory: TemporaryDirectory
    var root: String { directory.file("root.img") }
    var swap: String { directory.file("swap.img") }
    var data: String { directory.file("data.img") }
    var config: String { directory.file("web02.cfg") }
    var storage: String { directory.file("kvm") }
    var sources: [String] { [root, swap, data] }

    static let tools = ["mke2fs", "mkswap", "debugfs", "dd", "sha256sum"]

    init() async throws {
        directory = try TemporaryDirectory()
        try await Fixtures.makeImage(from: Fixtures.tree("debian12-grub2"), at: directory.file("root.img"), size: "64M")
        try await Command.check(
            "dd", ["if=/dev/zero", "of=\(directory.file("swap.img"))", "bs=1M", "count=16", "status=none"])
        try await Command.check("mkswap", ["-q", directory.file("swap.img")])
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", directory.file("data.img"), "16M"])
        try FileManager.default.createDirectory(atPath: directory.file("kvm"), withIntermediateDirectories: true)
        let text = """
            name = "web02"
            memory = 512
            vcpus = 1
            bootloader = "pygrub"
            disk = [ 'file:\(directory.file("root.img")),xvda1,w', 'file:\(directory.file("swap.img")),xvda2,w',
                     'file:\(directory.file("data.img")),xvdb,w' ]
            vif = [ 'mac=00:16:3e:12:34:56,bridge=xenbr0' ]

            """
        try text.write(toFile: directory.file("web02.cfg"), atomically: true, encoding: .utf8)
    }

    /// A guest file of a converted disk whose partition 1 starts at 1 MiB.
    func guestFile(_ path: String, of disk: String) async throws -> String {
        let partition = directory.file("p1")
        try await Command.check("dd", ["if=\(disk)", "of=\(partition)", "bs=1M", "skip=1", "status=none"])
        defer { try? FileManager.default.removeItem(atPath: partition) }
        return try await Command.check("debugfs", ["-R", "cat \(path)", partition]).stdout
    }
}
