import Foundation
import Inspection
import Testing
import XenDefinition

@Suite struct DiskAndVifTests {
    static func disk(_ spec: String, form: DefinitionForm = .xl) throws -> XenDisk? {
        try XenDefinitionReader.read("disk = [ '\(spec)' ]\n", form: form).guest.disks.first
    }

    struct Case: Sendable, CustomStringConvertible {
        var spec: String
        var target: String
        var vdev: String
        var format = "raw"
        var access = XenDisk.Access.readWrite
        var kind = XenDisk.Kind.disk
        var prefix: String?
        var description: String { spec }
    }

    static let cases = [
        Case(spec: "phy:/dev/vg/a,xvda1,w", target: "/dev/vg/a", vdev: "xvda1", prefix: "phy"),
        Case(spec: "/dev/vg/a,raw,xvda1,rw", target: "/dev/vg/a", vdev: "xvda1"),
        Case(spec: "/dev/vg/a,,xvda1", target: "/dev/vg/a", vdev: "xvda1"),
        Case(spec: "file:/x.img,xvdb,r", target: "/x.img", vdev: "xvdb", access: .readOnly, prefix: "file"),
        Case(spec: "tap:aio:/x.img,xvdb,w", target: "/x.img", vdev: "xvdb", prefix: "tap:aio"),
        Case(spec: "aio:/x.img,xvdb,ro", target: "/x.img", vdev: "xvdb", access: .readOnly, prefix: "aio"),
        Case(spec: "ioemu:/x.img,xvdb,w", target: "/x.img", vdev: "xvdb", prefix: "ioemu"),
        Case(spec: "tap:qcow2:/x.qcow2,xvdb,w", target: "/x.qcow2", vdev: "xvdb", format: "qcow2", prefix: "tap:qcow2"),
        Case(spec: "vhd:/x.vhd,xvdb,w", target: "/x.vhd", vdev: "xvdb", format: "vhd", prefix: "vhd"),
        Case(
            spec: "vdev=xvdc, access=r, format=raw, target=/srv/a,b,c.img", target: "/srv/a,b,c.img", vdev: "xvdc",
            access: .readOnly),
        Case(spec: "target=/srv/x.img,", target: "/srv/x.img", vdev: ""),
        Case(spec: ",hdc:cdrom,r", target: "", vdev: "hdc", format: "empty", access: .readOnly, kind: .cdrom),
        Case(
            spec: "file:/i.iso,hdc:cdrom,r", target: "/i.iso", vdev: "hdc", access: .readOnly, kind: .cdrom,
            prefix: "file"),
        Case(spec: "/i.iso,raw,xvdd,r,devtype=cdrom", target: "/i.iso", vdev: "xvdd", access: .readOnly, kind: .cdrom),
        Case(spec: "backendtype=phy,vdev=xvde,target=/dev/sdz", target: "/dev/sdz", vdev: "xvde", prefix: "phy"),
    ]

    @Test(arguments: cases)
    func xlDiskEntries(expected: Case) throws {
        let disk = try Self.disk(expected.spec)
        guard expected.vdev.isEmpty else {
            #expect(disk?.target == expected.target)
            #expect(disk?.vdev == expected.vdev)
            #expect(disk?.format == expected.format)
            #expect(disk?.access == expected.access)
            #expect(disk?.kind == expected.kind)
            #expect(disk?.prefix == expected.prefix)
            return
        }
        // No vdev: a blocker, and no disk in the model.
        let definition = try XenDefinitionReader.read("disk = [ '\(expected.spec)' ]\n", form: .xl)
        #expect(disk == nil)
        #expect(definition.findings.contains { $0.code == "disk-no-vdev" && $0.severity == .blocker })
    }

    @Test func xmEntriesAreUnameDevMode() throws {
        let shared = try Self.disk("phy:/dev/vg/a,xvda1,w!", form: .xm)
        #expect(shared?.access == .sharedWrite)
        let bare = try Self.disk("/dev/vg/a,xvda1,w", form: .xm)
        #expect(bare?.target == "/dev/vg/a" && bare?.vdev == "xvda1" && bare?.prefix == nil)
    }

    @Test(arguments: [
        ("iscsi:iqn.2001-05.com.example:x,xvda1,w", "network-disk"),
        ("nbd:host 10809,xvda1,w", "network-disk"),
        ("drbd:res,xvda1,w", "network-disk"),
        ("backendtype=qdisk,vdev=xvda1,target=rbd:pool/img", "network-disk"),
        ("script=block-iscsi,vdev=xvda1,target=iqn.x:y", "network-disk"),
        ("script=block-mine,vdev=xvda1,target=vol7", "disk-script"),
        ("qcow2:/a.qcow2,xvda1,w", "disk-not-raw"),
        ("format=vhd,vdev=xvda1,target=/a.vhd", "disk-not-raw"),
    ])
    func disksThatBlock(spec: String, code: String) throws {
        let definition = try XenDefinitionReader.read("disk = [ '\(spec)' ]\n", form: .xl)
        let finding = definition.findings.first { $0.code == code }
        #expect(finding?.severity == .blocker)
        #expect(definition.readiness == .blocked)
    }

    @Test func aNonRawDiskSaysHowToConvertIt() throws {
        let definition = try XenDefinitionReader.read("disk = [ 'vhd:/srv/a.vhd,xvda1,w' ]\n")
        let message = definition.findings.first { $0.code == "disk-not-raw" }?.message ?? ""
        #expect(message.contains("qemu-img convert -f vpc -O raw /srv/a.vhd /srv/a.vhd.raw"))
    }

    @Test func vifKeysAreRead() throws {
        let text =
            "vif = [ 'mac=00:16:3E:AA:bb:01, bridge=br-lan, model=e1000, rate=5MB/s, ip=192.0.2.5, vifname=w.0' ]\n"
        let interface = try XenDefinitionReader.read(text).guest.interfaces.first
        #expect(interface?.mac == "00:16:3e:aa:bb:01" && interface?.macGenerated == false)
        #expect(interface?.bridge == "br-lan" && interface?.model == "e1000" && interface?.rate == "5MB/s")
        #expect(interface?.ip == "192.0.2.5" && interface?.vifname == "w.0")
    }

    @Test func aVifWithoutMACGetsAStableLocallyAdministeredUnicastOne() throws {
        let text = "name = 'a'\nuuid = '0b6f1c52-86a4-4c1d-9d8e-3c2f0a9e7d11'\nvif = [ '', 'bridge=xenbr1' ]\n"
        let first = try XenDefinitionReader.read(text)
        let again = try XenDefinitionReader.read(text)
        let macs = first.guest.interfaces.map(\.mac)
        #expect(macs == again.guest.interfaces.map(\.mac))
        #expect(Set(macs).count == 2)
        for mac in macs {
            let octet = UInt8(mac.prefix(2), radix: 16) ?? 0
            #expect(octet & 0x02 == 0x02, "locally administered: \(mac)")
            #expect(octet & 0x01 == 0, "unicast: \(mac)")
        }
        #expect(first.guest.interfaces.allSatisfy { $0.macGenerated })
        #expect(first.findings.filter { $0.code == "vif-random-mac" }.count == 2)
        // Another guest, another MAC.
        let other = try XenDefinitionReader.read(text.replacingOccurrences(of: "0b6f", with: "1b6f"))
        #expect(other.guest.interfaces.first?.mac != macs.first)
    }
}
