import Foundation
import TestSupport
import Testing

/// The JSON shape scripts rely on, from the real binary.
@Suite struct InspectJSONTests {
    static func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    /// The disk of a guest that still runs (here: locked the way its QEMU locks it) is read all
    /// the same, and the verdict says it cannot be converted now.
    @Test(.requires(tools: ["mke2fs"]))
    func aDiskInUseIsABlocker() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("running.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: image)
        let codes = { (run: CommandResult) -> (Set<String>, String?) in
            let json = Self.object(try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)))
            let findings = (json["findings"] as? [[String: Any]]) ?? []
            return (Set(findings.compactMap { $0["code"] as? String }), json["readiness"] as? String)
        }
        let lock = try QEMUImageLock(image)
        let live = try await Xen2KVMBinary.run(["inspect", "--json", image])
        lock.release()
        #expect(live.status == 0, "\(live.stderr)")
        #expect(codes(live).0.contains("source-in-use"), "\(live.stdout)")
        #expect(codes(live).1 == "blocked")
        let idle = try await Xen2KVMBinary.run(["inspect", "--json", image])
        #expect(!codes(idle).0.contains("source-in-use"), "\(idle.stdout)")
        #expect(codes(idle).1 == "fixable")
    }

    @Test(.requires(tools: ["mke2fs"]))
    func jsonHasTheDocumentedKeys() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("centos5.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos5"), at: image, type: "ext3", label: "root")
        let result = try await Xen2KVMBinary.run(["inspect", "--json", image])
        #expect(result.status == 0, "\(result.stderr)")
        let json = Self.object(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)))

        #expect(Self.object(json["source"])["path"] as? String == image)
        let fs = Self.object(json["filesystem"])
        for key in ["type", "uuid", "label", "blockSize", "blockCount", "usedBytes", "freeBytes", "minimumBytes"] {
            #expect(fs[key] != nil, "filesystem.\(key)")
        }
        #expect(fs["type"] as? String == "ext3")
        #expect(fs["label"] as? String == "root")
        let guest = Self.object(json["guest"])
        #expect(guest["distro"] as? String == "centos")
        #expect(guest["version"] as? String == "5.11")
        #expect(guest["bootloader"] as? String == "grub-legacy")
        #expect((guest["fstab"] as? [Any])?.count == 6)
        let kernels = (guest["kernels"] as? [[String: Any]]) ?? []
        let xen = kernels.first { $0["version"] as? String == "2.6.18-419.el5xen" }
        #expect(xen?["xenOnly"] as? Bool == true)
        #expect(xen?["virtio"] as? Bool == false)
        let findings = (json["findings"] as? [[String: Any]]) ?? []
        #expect(findings.allSatisfy { $0["severity"] != nil && $0["code"] != nil && $0["message"] != nil })
        let codes = Set(findings.compactMap { $0["code"] as? String })
        #expect(codes.isSuperset(of: ["xen-console", "xvd-in-fstab", "xvd-in-kernel-cmdline"]))
        #expect(json["readiness"] as? String == "fixable")
    }

    @Test(.requires(tools: ["mke2fs"]))
    func humanReportIsNotJSON() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("debian.img")
        try await Fixtures.makeImage(from: Fixtures.tree("debian12-grub2"), at: image)
        let result = try await Xen2KVMBinary.run(["inspect", image])
        #expect(result.status == 0)
        #expect(!result.stdout.hasPrefix("{"))
        for text in ["Filesystem", "Guest        debian 12.7", "bootloader grub2", "Findings", "Verdict"] {
            #expect(result.stdout.contains(text), "\(text)")
        }
    }

    /// A block device works like an image, and inspection never writes to it.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func inspectsABlockDeviceReadOnly() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("centos6.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: image)
        let before = try await sha256(image)
        let result = try await withReadOnlyLoopDevice(image) { device in
            try await Xen2KVMBinary.run(["inspect", "--json", device])
        }
        #expect(result.status == 0, "\(result.stderr)")
        let json = Self.object(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)))
        #expect(Self.object(json["source"])["kind"] as? String == "blockDevice")
        #expect(Self.object(json["guest"])["version"] as? String == "6.10")
        #expect(try await sha256(image) == before)
    }
}

/// Inspecting an image file needs no privileges beyond reading it.
@Suite struct UnprivilegedInspectTests {
    @Test(.requires(root: true, tools: ["mke2fs", "setpriv"]))
    func inspectsAsNobody() async throws {
        let dir = try TemporaryDirectory()
        #expect(chmod(dir.path, 0o755) == 0)
        let image = dir.file("centos7.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos7"), at: image)
        #expect(chmod(image, 0o444) == 0)
        let result = try await Command.run(
            "setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Xen2KVMBinary.path, "inspect", image])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("centos 7.9.2009"))
    }
}
