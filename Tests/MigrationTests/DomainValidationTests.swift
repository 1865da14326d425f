import Foundation
import Migration
import TestSupport
import Testing

/// Each bad domain is rejected by the layer that should reject it: xen2kvm's own checks for
/// what libvirt lets through (an xvda target on virtio), libvirt's schema for what the test
/// driver silently drops (a misspelt element), the test driver for what the schema lets
/// through (a duplicated target).
@Suite struct DomainValidationTests {
    static func spec() -> DomainSpec {
        DomainSpec(
            type: .kvm, name: "web01", uuid: nil, memoryMiB: 1024, currentMemoryMiB: 1024, vcpus: 1, currentVcpus: 1,
            onPoweroff: "destroy", onReboot: "restart", onCrash: "destroy",
            disks: [
                .init(sourceType: .file, source: "/srv/a.img", target: "vda", bootOrder: 1, xenName: "xvda1"),
                .init(sourceType: .block, source: "/dev/vg/b", target: "vdb", xenName: "xvda2"),
            ],
            interfaces: [.init(mac: "00:16:3e:00:00:01", bridge: "br0")])
    }

    @Test func aGoodDomainPassesAll() async throws {
        #expect(DomainChecks.problems(Self.spec()) == [])
        guard TestEnvironment.require(tools: ["virsh", "virt-xml-validate"]) else { return }
        let dir = try TemporaryDirectory()
        try DomainXML.render(Self.spec()).write(toFile: dir.file("d.xml"), atomically: true, encoding: .utf8)
        try await LibvirtChecks.schema(dir.file("d.xml"))
        try await LibvirtChecks.testDriver(dir.file("d.xml"))
    }

    @Test func ownChecksRejectWhatLibvirtLetsThrough() {
        var spec = Self.spec()
        spec.disks[1].target = "xvda"
        #expect(DomainChecks.problems(spec) == ["disk target xvda is no virtio disk name (vda, vdb, …)"])
        spec = Self.spec()
        spec.disks[1].target = "vda"
        #expect(DomainChecks.problems(spec) == ["two disks have the target vda"])
        spec = Self.spec()
        spec.disks[0].bus = "ide"
        #expect(DomainChecks.problems(spec) == ["disk vda is on bus ide, not virtio"])
        spec = Self.spec()
        spec.disks[1].bootOrder = 2
        #expect(DomainChecks.problems(spec) == ["2 disks have a boot order: exactly one, the root, must have it"])
        spec = Self.spec()
        spec.machine = "pc-i440fx-99.9"
        #expect(DomainChecks.problems(spec) == ["machine type pc-i440fx-99.9 is not one QEMU has (pc, q35)"])
        spec = Self.spec()
        spec.interfaces[0].mac = "01:16:3e:00:00:01"
        #expect(
            DomainChecks.problems(spec) == ["MAC 01:16:3e:00:00:01 is a multicast address: a NIC needs a unicast one"])
        spec = Self.spec()
        spec.interfaces.append(spec.interfaces[0])
        #expect(DomainChecks.problems(spec) == ["two interfaces have the MAC 00:16:3e:00:00:01"])
        spec = Self.spec()
        spec.interfaces[0].mac = "00:16:3e:00:01"
        #expect(DomainChecks.problems(spec) == ["MAC 00:16:3e:00:01 is not six hex octets"])
    }

    /// The XML of a good spec, edited the way a hand edit would go wrong.
    static func check(_ edit: (String) -> String) async throws -> (schema: Bool, testDriver: Bool) {
        let dir = try TemporaryDirectory()
        let path = dir.file("d.xml")
        try edit(DomainXML.render(spec())).write(toFile: path, atomically: true, encoding: .utf8)
        var passed = (schema: true, testDriver: true)
        do { try await LibvirtChecks.schema(path) } catch { passed.schema = false }
        do { try await LibvirtChecks.testDriver(path) } catch { passed.testDriver = false }
        return passed
    }

    @Test(.requires(tools: ["virsh", "virt-xml-validate"])) func theSchemaRejectsWhatTheTestDriverDrops() async throws {
        let result = try await Self.check { $0.replacing("<memballoon", with: "<memballon") }
        #expect(result.schema == false && result.testDriver == true)
    }

    @Test(.requires(tools: ["virsh", "virt-xml-validate"])) func theTestDriverRejectsWhatTheSchemaLetsThrough()
        async throws
    {
        let duplicate = try await Self.check { $0.replacing("dev='vdb'", with: "dev='vda'") }
        #expect(duplicate.schema == true && duplicate.testDriver == false)
        let mixedBoot = try await Self.check {
            $0.replacing("<bios useserial='yes'/>", with: "<boot dev='hd'/>\n    <bios useserial='yes'/>")
        }
        #expect(mixedBoot.schema == true && mixedBoot.testDriver == false)
    }
}
