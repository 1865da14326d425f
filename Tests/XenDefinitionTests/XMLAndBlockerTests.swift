import Inspection
import Testing
import XenDefinition

@Suite struct XMLAndBlockerTests {
    static func codes(_ text: String, form: DefinitionForm? = nil) throws -> [String: Finding.Severity] {
        let findings = try XenDefinitionReader.read(text, form: form).findings
        return Dictionary(findings.map { ($0.code, $0.severity) }, uniquingKeysWith: { first, _ in first })
    }

    /// The XML is untrusted: a DOCTYPE (and with it any entity) is refused before anything is read.
    @Test func anXMLWithADoctypeIsRefused() {
        let bomb = """
            <?xml version="1.0"?>
            <!DOCTYPE domain [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> ]>
            <domain type='xen'><name>&b;</name></domain>
            """
        #expect(throws: XenDefinitionError.self) { _ = try XenDefinitionReader.read(bomb) }
        let external = """
            <!DOCTYPE domain [ <!ENTITY file SYSTEM "file:///etc/passwd"> ]>
            <domain type='xen'><name>&file;</name></domain>
            """
        #expect(throws: XenDefinitionError.self) { _ = try XenDefinitionReader.read(external) }
    }

    @Test func brokenXMLIsAnErrorWithItsLine() {
        #expect {
            _ = try XenDefinitionReader.read("<domain type='xen'>\n<name>x</nam>\n</domain>")
        } throws: { error in
            (error as? XenDefinitionError)?.line == 2
        }
        #expect(throws: XenDefinitionError.self) {
            _ = try XenDefinitionReader.read("<network><name>x</name></network>")
        }
        #expect(throws: XenDefinitionError.self) { _ = try XenDefinitionReader.read("{ \"c_info\": [ }") }
    }

    @Test func predefinedEntitiesAndCDATAAreText() throws {
        let guest = try XenDefinitionReader.read(
            "<domain type='xen'><name>a&amp;b</name><os><cmdline><![CDATA[ro <quiet>]]></cmdline></os></domain>"
        ).guest
        #expect(guest.name == "a&b")
        #expect(guest.boot.commandLine == "ro <quiet>")
    }

    @Test(arguments: [
        "type = 'hvm'\ndisk = ['phy:/a,hda,w']\n", "builder = 'hvm'\n", "type = 'pvh'\n",
        "kernel = '/usr/lib/xen/boot/hvmloader'\nbootargs = ''\n",
        "<domain type='xen'><os><type>hvm</type></os></domain>",
        "{ \"c_info\": { \"type\": \"hvm\" } }",
    ])
    func hvmAndPVHGuestsAreRefused(text: String) throws {
        #expect(try Self.codes(text)["not-pv-guest"] == .blocker)
    }

    @Test func aRootOnNoListedDiskOrNoDiskAtAllBlocks() throws {
        #expect(try Self.codes("root = '/dev/xvda1'\ndisk = ['phy:/b,xvdb,w']\n")["root-not-listed"] == .blocker)
        #expect(try Self.codes("name = 'x'\n")["no-root-disk"] == .blocker)
        #expect(try Self.codes("disk = [',hdc:cdrom,r']\n")["no-root-disk"] == .blocker)
    }

    @Test func theDeviceMapAsksTheCallerAboutWholeDisks() throws {
        let text = "bootloader = 'pygrub'\ndisk = ['phy:/r,xvda1,w', 'phy:/s,xvda2,w', 'phy:/d,xvdb,w']\n"
        let assumed = try XenDefinitionReader.read(text).deviceMap
        #expect(assumed.fixMap == ["xvda1": "vda1", "xvda2": "vdb1", "xvdb": "vdc1"])
        #expect(assumed.entries.last?.contentAssumed == true)

        var asked: [String] = []
        let told = try XenDefinitionReader.read(text) { disk in
            asked.append(disk.vdev)
            return .partitioned
        }.deviceMap
        #expect(asked == ["xvda1", "xvda2", "xvdb"])
        // A partition-named vdev holds no partition table, whatever the caller says…
        #expect(told.fixMap == ["xvda1": "vda1", "xvda2": "vdb1", "xvdb": "vdc"])
        #expect(told.entries.last?.content == .partitioned && told.entries.last?.contentAssumed == false)

        // …but it may be kept whole (an LVM PV copied as it is): then the guest finds it as the disk.
        let whole = try XenDefinitionReader.read(text) { $0.vdev == "xvda2" ? .wholeVolume : nil }.deviceMap
        #expect(whole.fixMap == ["xvda1": "vda1", "xvda2": "vdb", "xvdb": "vdc1"])
    }

    @Test func rootComesFirstWhateverItsXenName() throws {
        let text = "root = '/dev/xvdb1'\nkernel = '/k'\ndisk = ['phy:/s,xvda1,w', 'phy:/r,xvdb1,w', 'phy:/t,xvdc,w']\n"
        let map = try XenDefinitionReader.read(text).deviceMap
        #expect(map.root == "xvdb1")
        #expect(map.entries.map(\.xen) == ["xvdb1", "xvda1", "xvdc"])
        #expect(map.entries.map(\.kvm) == ["vda1", "vdb1", "vdc1"])
    }
}
