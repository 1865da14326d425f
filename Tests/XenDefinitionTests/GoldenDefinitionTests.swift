import Foundation
import TestSupport
import Testing
import XenDefinition

/// Each definition in Goldens/inputs/ read with its form found from the text, and its whole
/// reading (model, findings, device map) compared byte for byte with Goldens/expected/<file>.json.
///
/// After a deliberate change, regenerate the expected files and review the diff:
///     XEN2KVM_UPDATE_GOLDENS=1 swift test --skip-build --filter GoldenDefinitionTests
@Suite struct GoldenDefinitionTests {
    static let directory = "\(Fixtures.packageRoot)/Tests/XenDefinitionTests/Goldens"
    static let inputs: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/inputs")) ?? []).sorted()

    static func form(ofExtension name: String) -> DefinitionForm? {
        switch name.split(separator: ".").last {
        case "cfg": .xl
        case "xm": .xm
        case "json": .xlJSON
        case "xml": .libvirtXML
        default: nil
        }
    }

    static func read(_ name: String) throws -> XenDefinition {
        let text = try String(contentsOfFile: "\(directory)/inputs/\(name)", encoding: .utf8)
        return try XenDefinitionReader.read(text, source: name)
    }

    @Test func thereAreGoldens() {
        #expect(Self.inputs.count >= 15)
    }

    @Test(arguments: inputs)
    func readingMatchesTheGolden(input: String) throws {
        let definition = try Self.read(input)
        #expect(definition.form == Self.form(ofExtension: input), "form found from the text")
        let dump = definition.stableJSON()
        let expectedPath = "\(Self.directory)/expected/\(input).json"
        if ProcessInfo.processInfo.environment["XEN2KVM_UPDATE_GOLDENS"] == "1" {
            try dump.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        #expect(dump == expected, "\(input): regenerate with XEN2KVM_UPDATE_GOLDENS=1 and review the diff")
    }

    /// The same bytes on every reading (no dictionary order, no random MAC leaks out).
    @Test(arguments: inputs)
    func readingIsByteIdenticalAcrossRuns(input: String) throws {
        let first = try Self.read(input).stableJSON()
        for _ in 0..<3 {
            #expect(try Self.read(input).stableJSON() == first)
        }
    }
}
