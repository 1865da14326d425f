import Foundation
import TestSupport
import Testing

/// `.requires(root:tools:)` skips a test whose needs are not met, except in CI, where the unmet
/// need is the test's failure. Each case injects its environment: no process-wide setenv, as
/// tests run in parallel.
@Suite struct RequiresTraitTests {
    static let absent = "xen2kvm-no-such-tool"
    static let noPath = ["PATH": "/nonexistent"]

    @Test func aMissingToolSkipsOutsideCI() async throws {
        let trait = ConditionTrait.requires(tools: ["sh", Self.absent], environment: Self.noPath, isRoot: true)
        #expect(try await trait.evaluate() == false)
        #expect(trait.comments == ["needs tools: \(Self.absent)"])
    }

    @Test func missingRootAndToolsAreBothNamed() async throws {
        let trait = ConditionTrait.requires(root: true, tools: [Self.absent], environment: Self.noPath, isRoot: false)
        #expect(try await trait.evaluate() == false)
        #expect(trait.comments == ["needs root; tools: \(Self.absent)"])
    }

    @Test(arguments: ["true", "1", "TRUE"])
    func inCIAMissingToolIsAFailureNotASkip(ci: String) async throws {
        let trait = ConditionTrait.requires(
            root: true, tools: [Self.absent], environment: ["PATH": "/nonexistent", "CI": ci], isRoot: false)
        let error = await #expect(throws: UnmetTestRequirement.self) { try await trait.evaluate() }
        #expect(
            error?.description
                == "CI=true and this test needs root; tools: \(Self.absent): install it (README test command)")
    }

    @Test(arguments: [["CI": "true"], ["CI": "false"], [:]])
    func metNeedsRunTheTest(ci: [String: String]) async throws {
        // sh is in /bin on every host this runs on, whatever PATH says.
        let trait = ConditionTrait.requires(
            root: true, tools: ["sh"], environment: ci.merging(Self.noPath) { $1 }, isRoot: true)
        #expect(try await trait.evaluate())
        #expect(trait.comments.isEmpty)
    }

    @Test func toolsAreFoundOnTheInjectedPath() async throws {
        let dir = try TemporaryDirectory()
        let tool = dir.file(Self.absent)
        #expect(FileManager.default.createFile(atPath: tool, contents: Data("#!/bin/sh\n".utf8)))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool)
        let found = ConditionTrait.requires(tools: [Self.absent], environment: ["PATH": dir.path], isRoot: false)
        #expect(try await found.evaluate())
        let notFound = ConditionTrait.requires(tools: [Self.absent], environment: Self.noPath, isRoot: false)
        #expect(try await notFound.evaluate() == false)
    }
}
