import Testing
import X2KStream

@Suite struct StreamDecoderTests {
    @Test func placeholder() {}
}
