import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// The i386 and x32 ABIs are x86-64's.
#if arch(x86_64)
    /// The parser's filter has an x86-64 section only: a call through the i386 table (int 0x80
    /// from the 64-bit child, as an exploit of a C library on a hostile image might make to pass
    /// a filter written in x86-64 numbers) kills the child before the call returns, and the CLI
    /// says the image is damaged. (Every x32 call is refused: ParserChildTests' probe.)
    @Suite struct ParserChildForeignABITests {
        @Test func anI386CallKillsTheParser() async throws {
            let dir = try TemporaryDirectory()
            let image = try await ParserChildTests.image(dir)
            let environment = ["XEN2KVM_TEST_PARSER": "i386"]
            let child = try await Xen2KVMBinary.run(["parse-image", "inspect", image], environment: environment)
            #expect(child.status == 128 + SIGSYS, "\(child.stderr)")
            #expect(child.stderr.contains("probe i386: getpid through int 0x80"), "\(child.stderr)")
            #expect(!child.stderr.contains("probe i386: allowed"), "\(child.stderr)")
            #expect(!child.stdout.contains("xen2kvm-parse-result"), "\(child.stdout.prefix(300))")
            let run = try await Xen2KVMBinary.run(["inspect", image], environment: environment)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("the image is damaged: reading it crashed"), "\(run.stderr)")
            #expect(run.stderr.contains(String(cString: strsignal(SIGSYS))), "\(run.stderr)")
        }
    }
#endif
