import XenDefinition

/// The input is a Xen definition's text: read as the form found from it, then as each form
/// (xl and xm grammars, `xl -N` JSON, libvirt XML through libxml2). `migrate --from` reads
/// these over ssh; a reader may refuse the text, never crash or hang on it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXenDefinition(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    for form in [nil] + DefinitionForm.allCases.map(Optional.some) {
        _ = try? XenDefinitionReader.read(text, form: form)
    }
    return 0
}
