import Conversion
import Remote
import Testing

/// When x2k is chosen, and why not when it is not.
@Suite struct X2KChoiceTests {
    static let clean = RemoteSourceTests.clean
    static let xen2kvm = "/usr/local/sbin/xen2kvm"

    @Test func autoPicksX2KWhenTheRemoteSideHasXen2kvm() throws {
        // No e2image there either: x2k needs only xen2kvm.
        let facts = RemoteFacts(size: 64 << 20, hasE2image: false, ext: Self.clean, xen2kvm: Self.xen2kvm)
        let choice = try TransportChoice.choose(.auto, facts: facts, host: "xen1")
        #expect(choice.transport == .x2k)
        #expect(choice.remoteXen2kvm == Self.xen2kvm)
        #expect(choice.reason.contains("a clean ext filesystem and xen2kvm on xen1 (\(Self.xen2kvm))"))
        #expect(choice.reason.contains("resumable"))
    }

    @Test func autoFallsBackAndX2KIsRefusedWhereItCannotWork() throws {
        var unclean = Self.clean
        unclean.hasErrors = true
        let without = RemoteFacts(size: 64 << 20, hasE2image: true, ext: Self.clean)
        #expect(try TransportChoice.choose(.auto, facts: without, host: "xen1").transport == .e2image)
        let cases: [(RemoteFacts, String)] = [
            (without, "no xen2kvm on xen1 that sends the x2k stream format 1 (--remote-xen2kvm names its path)"),
            (RemoteFacts(size: 64 << 20, hasE2image: true, ext: unclean, xen2kvm: Self.xen2kvm), "errors recorded"),
            (RemoteFacts(size: 64 << 20, hasE2image: true, ext: nil, xen2kvm: Self.xen2kvm), "not a bare ext"),
        ]
        for (facts, reason) in cases {
            #expect {
                try TransportChoice.choose(.x2k, facts: facts, host: "xen1")
            } throws: { error in
                (error as? ConversionError)?.description.contains(reason) == true
            }
        }
        // Not clean: auto reads the whole volume, even with xen2kvm there.
        #expect(try TransportChoice.choose(.auto, facts: cases[1].0, host: "xen1").transport == .dd)
    }
}
