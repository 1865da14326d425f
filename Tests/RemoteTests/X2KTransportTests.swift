import Foundation
import TestSupport
import Testing

/// The x2k transport between the namespace hosts: `xen2kvm send` on the Xen host (the same
/// binary: the Xen host shares this machine's filesystem), its stream written straight into
/// the target on the KVM host, checkpointed, resumed.
@Suite(.serialized, .requires(root: true, tools: TestHosts.tools + ["mke2fs", "e2fsck", "sha256sum", "debugfs"]))
struct X2KTransportTests {
    typealias XenStorage = RemoteConvertTests.XenStorage

    static func convertOnKVM(_ hosts: TestHosts, _ arguments: [String]) async throws -> CommandResult {
        try await RemoteConvertTests.convertOnKVM(hosts, arguments + ["--remote-xen2kvm", Xen2KVMBinary.path])
    }

    /// The local convert of the Xen host's image, for comparison.
    static func localConvert(_ xen: XenStorage, into path: String) async throws {
        let local = try await Xen2KVMBinary.run(["convert", "\(xen.storage)/web01.img", path, "--no-fix"])
        #expect(local.succeeded, "\(local.stderr)")
    }

    /// Bytes 510–511 are 55 AA once a partition table is written.
    static func hasPartitionTable(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let sector = try handle.read(upToCount: 512) ?? Data()
        return sector.count == 512 && sector[510] == 0x55 && sector[511] == 0xAA
    }

    /// The data bytes a convert's JSON result says it copied.
    static func bytesCopied(_ stdout: String) throws -> UInt64 {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        let result = object?["result"] as? [String: Any]
        return (result?["bytesCopied"] as? NSNumber)?.uint64Value ?? 0
    }

    @Test(arguments: ["x2k", "auto", "zstd"])
    func x2kGivesTheLocalConvertsDisk(_ how: String) async throws {
        let xen = try await XenStorage.make()
        let work = try TemporaryDirectory()
        let local = work.file("local.img")
        let remote = work.file("remote.img")
        let before = try await sha256("\(xen.storage)/web01.img")
        try await Self.localConvert(xen, into: local)
        try await TestHosts.with(xenBinds: [xen.bind]) { hosts in
            var arguments = [hosts.url(path: xen.guestOnXen), remote, "--no-fix"]
            arguments += how == "auto" ? [] : ["--transport", "x2k"]
            if how == "zstd" { arguments += ["--compress", "zstd"] }
            let result = try await Self.convertOnKVM(hosts, arguments)
            print("x2k (\(how)):\n\(result.stderr)\(result.stdout)")
            #expect(result.succeeded, "\(result.stderr)\(result.stdout)")
            if how == "auto" {
                #expect(result.stderr.contains("transport x2k: a clean ext filesystem and xen2kvm on 192.0.2.1"))
            }
            #expect(result.stderr.contains("received ssh://root@192.0.2.1\(xen.guestOnXen) by x2k: "))
            #expect(try RemoteConvertTests.withoutDiskSignature(remote) == RemoteConvertTests.withoutDiskSignature(local))
            // Nothing left beside the target: no state, no staging file.
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).sorted() == ["local.img", "remote.img"])
        }
        #expect(try await sha256("\(xen.storage)/web01.img") == before)
    }
}
