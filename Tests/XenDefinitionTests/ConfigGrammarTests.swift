import Inspection
import Testing
import XenDefinition

/// The libxlu grammar and xm's Python, one rule at a time.
@Suite struct ConfigGrammarTests {
    static func read(_ text: String, form: DefinitionForm? = nil) throws -> XenDefinition {
        try XenDefinitionReader.read(text, form: form)
    }

    static func codes(_ definition: XenDefinition) -> [String] { definition.findings.map(\.code) }

    @Test(arguments: [("0x400", 1024), ("0512", 330), ("512", 512), ("0", 0), ("0X10", 16)])
    func numbersAreReadAsCReadsThem(text: String, value: Int) throws {
        let guest = try Self.read("memory = \(text)\nvcpus = \"\(text)\"\n").guest
        #expect(guest.memoryMiB == value)
        // A quoted number is a number too: libxlu keeps every value as text.
        #expect(guest.vcpus == value)
    }

    @Test func quotedStringsTakeCEscapes() throws {
        let guest = try Self.read(#"name = "a\"b\'c\\d\te\x41\101"; uuid = 'q\'s'"#).guest
        #expect(guest.name == "a\"b'c\\d\teAA")
        #expect(guest.uuid == "q's")
    }

    @Test func semicolonsNewlinesAndCommentsSeparateSettings() throws {
        let guest = try Self.read("name='x' ; memory=64 # memory = 128\n\n  vcpus = 3;maxvcpus=8;").guest
        #expect(guest.name == "x" && guest.memoryMiB == 64 && guest.vcpus == 3 && guest.maxVcpus == 8)
    }

    @Test func listsSpanLinesWithTrailingCommas() throws {
        let text = "disk = [\n  'phy:/a,xvda1,w',   # root\n\n  'phy:/b,xvda2,w' ,\n]\nvif = [ ]\n"
        let guest = try Self.read(text).guest
        #expect(guest.disks.map(\.target) == ["/a", "/b"])
        #expect(guest.interfaces.isEmpty)
    }

    @Test func plusEqualsAppendsListsAndStrings() throws {
        let text = "disk = ['phy:/a,xvda1,w']\ndisk += ['phy:/b,xvdb,w']\nextra = 'ro'\nextra += ' quiet'\n"
        let definition = try Self.read(text)
        #expect(definition.guest.disks.map(\.vdev) == ["xvda1", "xvdb"])
        #expect(definition.guest.boot.commandLine == "ro quiet")
        #expect(!Self.codes(definition).contains("repeated-key"))
    }

    @Test func aRepeatedKeyKeepsTheLastValueAndWarns() throws {
        let definition = try Self.read("memory = 512\nname = 'x'\nmemory = 2048\n")
        #expect(definition.guest.memoryMiB == 2048)
        let repeated = definition.findings.filter { $0.code == "repeated-key" }
        #expect(repeated.count == 1)
        #expect(repeated.first?.severity == .warning)
        #expect(repeated.first?.message.contains("line 3") == true)
        #expect(repeated.first?.message.contains("line 1") == true)
    }

    @Test func xlDefaultsFillWhatIsNotSaid() throws {
        let guest = try Self.read("name = 'x'\nmemory = 256\n").guest
        #expect(guest.onPoweroff == .destroy && guest.onReboot == .restart && guest.onCrash == .destroy)
        #expect(guest.vcpus == 1 && guest.maxVcpus == 1 && guest.maxMemoryMiB == 256)
        #expect(guest.type == .pv)
    }

    @Test func anXLSyntaxErrorNamesItsLine() {
        #expect {
            _ = try Self.read("name = 'x'\nmemory = 512 +\n", form: .xl)
        } throws: { error in
            (error as? XenDefinitionError)?.line == 2
        }
        #expect(throws: XenDefinitionError.self) { _ = try Self.read("name = 'not closed\n", form: .xl) }
    }

    @Test func pythonInAnXMConfigIsReportedNeverRun() throws {
        let text = "import os\nname = 'web' + os.uname()[1]\nmemory = 512\nfor i in range(3):\n    vcpus = i\n"
        let definition = try Self.read(text)
        #expect(definition.form == .xm)
        let python = definition.findings.filter { $0.code == "xm-python-code" }
        #expect(python.map(\.severity) == [.blocker, .blocker, .blocker, .blocker])
        #expect(python.allSatisfy { $0.message.contains("xl -N create") })
        #expect(python.map { $0.message.prefix(8) } == ["line 1: ", "line 2: ", "line 4: ", "line 5: "])
        // What is plain is still read; what Python would have computed is not guessed.
        #expect(definition.guest.memoryMiB == 512)
        #expect(definition.guest.name == nil && definition.guest.vcpus == 1)
    }

    @Test func xmLiteralsAreRead() throws {
        let text = "name = r'a\\b'\nextra = '''x\ny'''\nmemory = \\\n  64\nbootargs = '--entry=xvda1:/vmlinuz'\n"
        let definition = try Self.read(text)
        #expect(definition.form == .xm)
        #expect(definition.guest.name == "a\\b")
        #expect(definition.guest.boot.commandLine == "x\ny")
        #expect(definition.guest.memoryMiB == 64)
        #expect(definition.guest.boot.bootloaderArgs == ["--entry=xvda1:/vmlinuz"])
    }

    @Test(arguments: [
        ("name = 'x'\n", DefinitionForm.xl),
        ("disk = ['phy:/a,xvda1,w!']\n", .xm),
        ("disk = ['/dev/vg/a,xvda1,w']\n", .xm),
        ("disk = ['/dev/vg/a,raw,xvda1,w']\n", .xl),
        ("bootargs = 'x'\n", .xm),
        ("memory = 1 * 512\n", .xm),
        ("  \n{ \"c_info\": {} }", .xlJSON),
        ("\n<domain type='xen'/>", .libvirtXML),
    ])
    func theFormIsFoundFromTheText(text: String, form: DefinitionForm) {
        #expect(DefinitionForm.detect(text) == form)
    }

    @Test func theFormCanBeForced() throws {
        // Read as xl, xm's unprefixed target is what xl would refuse: said, and read as xm would.
        let definition = try Self.read("disk = ['/dev/vg/a,xvda1,w']\n", form: .xl)
        #expect(definition.form == .xl)
        #expect(Self.codes(definition).contains("disk-syntax"))
        #expect(definition.guest.disks.first?.vdev == "xvda1")
        #expect(definition.guest.disks.first?.target == "/dev/vg/a")
        #expect(throws: XenDefinitionError.self) { _ = try Self.read("name = 'x'\n", form: .xlJSON) }
    }
}
