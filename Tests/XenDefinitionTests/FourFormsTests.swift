import Foundation
import TestSupport
import Testing
import XenDefinition

/// web01 written as xl.cfg, as an xm config, as `xl -N create` JSON and as libvirt Xen XML:
/// one guest, so one model, one device map and the same findings.
@Suite struct FourFormsTests {
    static let directory = "\(Fixtures.packageRoot)/Tests/XenDefinitionTests/Goldens/web01"
    static let files: [(String, DefinitionForm)] = [
        ("web01.cfg", .xl), ("web01.xm", .xm), ("web01.json", .xlJSON), ("web01.xml", .libvirtXML),
    ]

    static func read(_ name: String) throws -> XenDefinition {
        try XenDefinitionReader.read(String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8))
    }

    @Test func everyFormGivesTheSameGuest() throws {
        let readings = try Self.files.map { name, form in
            let definition = try Self.read(name)
            #expect(definition.form == form, "\(name)")
            return definition
        }
        let xl = readings[0]
        for (definition, (name, _)) in zip(readings, Self.files) {
            #expect(definition.guest == xl.guest, "\(name)")
            #expect(definition.deviceMap == xl.deviceMap, "\(name)")
            #expect(definition.findings.map(\.code) == xl.findings.map(\.code), "\(name)")
        }
    }

    @Test func theModelIsWeb01() throws {
        let guest = try Self.read("web01.cfg").guest
        #expect(guest.name == "web01")
        #expect(guest.uuid == "3b8a2f4e-5c61-4d2a-9f0e-1a2b3c4d5e6f")
        #expect(guest.memoryMiB == 1024 && guest.maxMemoryMiB == 2048)
        #expect(guest.vcpus == 2 && guest.maxVcpus == 4)
        #expect(guest.boot.method == .bootloader && guest.boot.bootloader == "pygrub")
        #expect(guest.boot.commandLine == "console=hvc0")
        #expect(guest.onPoweroff == .destroy && guest.onReboot == .restart && guest.onCrash == .restart)
        #expect(guest.disks.map(\.vdev) == ["xvda1", "xvda2", "xvdb"])
        #expect(guest.interfaces.map(\.mac) == ["00:16:3e:5a:01:02"])
        #expect(guest.interfaces.map(\.bridge) == ["xenbr0"])
    }

    @Test func theDeviceMapGivesEachVolumeItsOwnDisk() throws {
        let map = try Self.read("web01.cfg").deviceMap
        #expect(map.root == "xvda1")
        #expect(map.fixMap == ["xvda1": "vda1", "xvda2": "vdb1", "xvdb": "vdc1"])
        #expect(map.entries.map(\.contentAssumed) == [false, false, true])
    }
}
