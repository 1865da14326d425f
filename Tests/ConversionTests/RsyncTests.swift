import Conversion
import ExtFS
import Foundation
import TestSupport
import Testing

/// The rsync method keeps every file property a guest relies on, and the filesystem's
/// identity (UUID, label, block and inode size, features).
@Suite(.serialized) struct RsyncTests {
    /// Builds the source by mounting a fresh filesystem and making every kind of file in it,
    /// so owners, xattrs and ACLs are set by the kernel, not by mke2fs -d.
    static func richSource(_ dir: TemporaryDirectory, type: String) async throws -> String {
        let image = dir.file("source.img")
        try await Command.check("mke2fs", ["-q", "-F", "-t", type, "-L", "guestroot", "-I", "256", image, "64M"])
        let mountPoint = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try await Command.check("mount", ["-o", "loop", image, mountPoint])
        do {
            let script = """
                set -e
                cd \(mountPoint)
                mkdir -p etc dev tmp usr/bin data
                echo 'root:x:0:0' > etc/passwd
                echo data > data/owned && chown 1234:5678 data/owned
                cp /bin/true usr/bin/su && chmod 4755 usr/bin/su
                chmod 1777 tmp
                echo shared > data/a && ln data/a data/b
                ln -s ../etc/passwd data/link
                mknod dev/console c 5 1 && mknod dev/null c 1 3 && mknod dev/sda b 8 0
                mkfifo data/fifo
                truncate -s 50M data/sparse && echo tail | dd of=data/sparse bs=1 seek=40000000 conv=notrunc 2>/dev/null
                setfattr -n user.note -v hello data/a
                setfattr -n security.selinux -v system_u:object_r:etc_t:s0 etc/passwd
                setfacl -m u:4242:rw data/owned
                touch -d '2001-02-03 04:05:06' data/owned
                """
            try await Command.check("sh", ["-c", script])
        } catch {
            _ = try? await Command.run("umount", [mountPoint])
            throw error
        }
        try await Command.check("umount", [mountPoint])
        return image
    }

    /// Every property of every path under `root`, one line each, sorted.
    static func properties(_ root: String) async throws -> String {
        let script = """
            cd \(root) && find . -path ./lost+found -prune -o -print | sort | while read -r p; do
              stat -c '%n %F %a %u %g %h %s %t:%T %Y' "$p"
              [ -L "$p" ] && readlink "$p"
              [ -f "$p" ] && ! [ -L "$p" ] && sha256sum < "$p"
              getfattr -h -d -m - --absolute-names "$p" 2>/dev/null | grep -v '^#' | grep -v system.posix_acl
              getfacl -cp "$p" 2>/dev/null
            done
            """
        return try await Command.check("sh", ["-c", script]).stdout
    }

    @Test(
        .requires(root: true, tools: ["mke2fs", "rsync", "setfattr", "getfattr", "setfacl", "getfacl", "e2fsck"]),
        arguments: ["ext3", "ext4"])
    func keepsEveryFileProperty(type: String) async throws {
        let dir = try TemporaryDirectory()
        let source = try await Self.richSource(dir, type: type)
        let before = try await sha256(source)
        let target = dir.file("kvm.img")
        var options = ConvertOptions(source: source, target: target)
        options.method = .rsync
        let plan = try Planner.plan(options)
        #expect(plan.refusal == nil, "\(plan.refusal?.detail ?? "")")
        let result = try await Converter.run(plan, progress: SilentProgress())
        #expect(result.fsck?.clean == true)
        let layout = try #require(plan.layout)

        let original = try ExtFilesystem(path: source).facts()
        let copy = try ExtFilesystem(path: target, offset: layout.partitionOffsetBytes).facts()
        #expect(copy.uuid == original.uuid)
        #expect(copy.label == "guestroot")
        #expect(copy.blockSize == original.blockSize)
        #expect(copy.inodeSize == original.inodeSize)
        #expect(copy.features == original.features)

        let a = dir.file("a")
        let b = dir.file("b")
        for path in [a, b] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        try await withReadOnlyLoopDevice(source) { device in
            try await Command.check("mount", ["-o", "ro,noload", device, a])
            defer { _ = umount2(a, 0) }
            try await withReadOnlyLoopDevice(target, offset: layout.partitionOffsetBytes) { part in
                try await Command.check("mount", ["-o", "ro,noload", part, b])
                defer { _ = umount2(b, 0) }
                let expected = try await Self.properties(a)
                let actual = try await Self.properties(b)
                // -S may make more holes than the source had (zero runs), never fewer.
                let sparse = try await Command.check("du", ["-k", "\(b)/data/sparse"]).stdout
                #expect((Int(sparse.prefix { $0.isNumber }) ?? .max) < 1024, "the sparse file lost its holes")
                #expect(expected.contains("security.selinux"))
                #expect(expected.contains("user:4242:rw-"))
                if actual != expected {
                    try expected.write(toFile: dir.file("expected.txt"), atomically: true, encoding: .utf8)
                    try actual.write(toFile: dir.file("actual.txt"), atomically: true, encoding: .utf8)
                    let diff = try await Command.run("diff", [dir.file("expected.txt"), dir.file("actual.txt")])
                    Issue.record("properties differ:\n\(diff.stdout)")
                }
            }
        }
        #expect(try await sha256(source) == before)
        let leaks = try await loopLeftovers(matching: dir.path)
        #expect(leaks.isEmpty, "\(leaks)")
    }
}
