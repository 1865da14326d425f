import Foundation
import TestSupport
import Testing
import XenDefinition

/// Inputs the fuzz harness hung or crashed the definition readers with
/// (Fuzz/Regressions/FuzzXenDefinition), read as FuzzXenDefinition reads them: each form in turn.
@Suite struct FuzzRegressionTests {
    @Test(arguments: FuzzRegressions.names("FuzzXenDefinition"))
    func committedInput(_ name: String) throws {
        let bytes = try Data(
            contentsOf: URL(fileURLWithPath: "\(FuzzRegressions.directory("FuzzXenDefinition"))/\(name)"))
        let text = String(decoding: bytes, as: UTF8.self)
        for form in [nil] + DefinitionForm.allCases.map(Optional.some) {
            _ = try? XenDefinitionReader.read(text, form: form)
        }
    }

    /// N'Ko digit seven (U+07C7): Swift's isNumber says yes, isHexDigit no, so the xl lexer
    /// started a number that took no character and emitted empty numbers forever, growing its
    /// token list until memory ran out. Words and numbers are ASCII now, as libxlu's are.
    @Test func aDigitOfAnotherScriptIsNoNumber() throws {
        let text = "memory = \u{07C7}\n"
        #expect(throws: XenDefinitionError.self) { try XenDefinitionReader.read(text, form: .xl) }
        // xm: not Python xen2kvm reads, so code it never runs.
        let xm = try XenDefinitionReader.read(text, form: .xm)
        #expect(xm.findings.contains { $0.code == "xm-python-code" && $0.severity == .blocker })
    }
}
