import Foundation
import Migration
import TestSupport
import Testing
import XenDefinition

/// The KVM domain XML of web01 (root, swap and data disks, a MAC, a bridge, maxmem and
/// maxvcpus, on_crash restart), compared byte for byte with Goldens/web01.xml, from each of the
/// four forms of its definition.
///
/// After a deliberate change, regenerate and review the diff:
///     XEN2KVM_UPDATE_GOLDENS=1 swift test --skip-build --filter DomainXMLTests
@Suite struct DomainXMLTests {
    static let web01 = "\(Fixtures.packageRoot)/Tests/XenDefinitionTests/Goldens/web01"
    static let golden = "\(Fixtures.packageRoot)/Tests/MigrationTests/Goldens/web01.xml"

    static func plan(_ file: String, domainType: DomainType = .kvm) async throws -> MigrationPlan {
        var options = MigrationOptions()
        options.storageDirectory = "/srv/kvm"
        options.bridgeMap = ["xenbr0": "br0"]
        options.domainType = domainType
        let text = try String(contentsOfFile: "\(web01)/\(file)", encoding: .utf8)
        return try await MigrationPlanner.plan(definition: text, source: file, options: options)
    }

    @Test func web01MatchesTheGolden() async throws {
        let xml = try await Self.plan("web01.cfg").xml
        if ProcessInfo.processInfo.environment["XEN2KVM_UPDATE_GOLDENS"] == "1" {
            try xml.write(toFile: Self.golden, atomically: true, encoding: .utf8)
        }
        #expect(xml == (try String(contentsOfFile: Self.golden, encoding: .utf8)))
    }

    @Test(arguments: ["web01.cfg", "web01.xm", "web01.json", "web01.xml"])
    func everyFormGivesTheSameBytes(file: String) async throws {
        let first = try await Self.plan(file).xml
        #expect(first == (try String(contentsOfFile: Self.golden, encoding: .utf8)), "\(file)")
        for _ in 0..<2 { #expect(try await Self.plan(file).xml == first) }
    }

    @Test func theDomainKeepsTheXenIdentityAndSettings() async throws {
        let plan = try await Self.plan("web01.cfg", domainType: .qemu)
        let domain = plan.domain
        #expect(domain.type == .qemu)
        #expect(plan.xml.hasPrefix("<domain type='qemu'>"))
        #expect(domain.name == "web01" && domain.uuid == "3b8a2f4e-5c61-4d2a-9f0e-1a2b3c4d5e6f")
        #expect(domain.memoryMiB == 2048 && domain.currentMemoryMiB == 1024)
        #expect(domain.vcpus == 4 && domain.currentVcpus == 2)
        #expect(domain.onCrash == "restart" && domain.onPoweroff == "destroy")
        #expect(domain.disks.map(\.target) == ["vda", "vdb", "vdc"])
        #expect(domain.disks.map(\.bootOrder) == [1, nil, nil])
        #expect(domain.interfaces == [.init(mac: "00:16:3e:5a:01:02", bridge: "br0")])
        #expect(plan.dropped.contains { $0.hasPrefix("bootloader=pygrub") })
        #expect(plan.xmlPath == "/srv/kvm/web01.xml")
    }

    /// A vif without a MAC gets the stable one the reader made, in the XML too.
    @Test func aGeneratedMACIsStable() async throws {
        let text =
            "name='nomac'\nmemory=512\nbootloader='pygrub'\ndisk=['phy:/dev/vg/nomac,xvda1,w']\nvif=['bridge=xenbr1']\n"
        var options = MigrationOptions()
        options.storageDirectory = "/srv/kvm"
        let plans = [
            try await MigrationPlanner.plan(definition: text, options: options),
            try await MigrationPlanner.plan(definition: text, options: options),
        ]
        let mac = try #require(plans[0].domain.interfaces.first?.mac)
        #expect(plans[0].xml == plans[1].xml)
        #expect(plans[0].xml.contains("<mac address='\(mac)'/>"))
        #expect(plans[0].xml.contains("<source bridge='xenbr1'/>"))
        #expect(plans[0].notes.contains { $0.contains("bridge xenbr1 is kept") })
    }

    @Test func namesAndPathsAreEscaped() async throws {
        let text = "name='a&b<c>'\nmemory=256\nbootloader='pygrub'\ndisk=['phy:/dev/vg/x,xvda1,w']\n"
        var options = MigrationOptions()
        options.diskTargets = ["xvda1": "/srv/it's \"here\".img"]
        let xml = try await MigrationPlanner.plan(definition: text, options: options).xml
        #expect(xml.contains("<name>a&amp;b&lt;c&gt;</name>"))
        #expect(xml.contains("<source file='/srv/it&apos;s &quot;here&quot;.img'/>"))
    }

    /// xl's rename-restart and soft-reset have no QEMU equivalent: replaced, and said.
    @Test func xenOnlyLifecycleActionsAreReplaced() async throws {
        let text =
            "name='lc'\nmemory=256\nbootloader='pygrub'\ndisk=['phy:/dev/vg/x,xvda1,w']\n"
            + "on_reboot='rename-restart'\non_crash='soft-reset'\n"
        var options = MigrationOptions()
        options.storageDirectory = "/srv"
        let plan = try await MigrationPlanner.plan(definition: text, options: options)
        #expect(plan.domain.onReboot == "restart" && plan.domain.onCrash == "restart")
        #expect(plan.notes.contains { $0.contains("on_reboot rename-restart has no QEMU equivalent") })
    }
}
