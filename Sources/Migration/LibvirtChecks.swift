import HostSystem

/// libvirt's two checks of a domain XML file, and handing it to a libvirt. Each check catches
/// what the other misses: the RNG schema (`virt-xml-validate`) lets a duplicated target
/// through; the test driver (`virsh -c test:///default define`, in-process, no daemon) rejects
/// duplicate targets, multicast MACs and mixed boot orders, but not every schema error.
public enum LibvirtChecks {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var check: String
        public var output: String
        public var description: String { "\(check) rejected the domain XML: \(output)" }
    }

    public static func schema(_ path: String) async throws(Failure) {
        try await run("virt-xml-validate", [path, "domain"], check: "virt-xml-validate (libvirt's schema)")
    }

    /// Defines it on libvirt's test driver, which lives and dies with this one virsh process.
    public static func testDriver(_ path: String) async throws(Failure) {
        try await run("virsh", ["-c", "test:///default", "define", path], check: "virsh -c test:///default define")
    }

    public static func define(_ path: String, uri: String) async throws(Failure) {
        try await run("virsh", ["-c", uri, "define", path], check: "virsh -c \(uri) define")
    }

    public static func start(_ name: String, uri: String) async throws(Failure) {
        try await run("virsh", ["-c", uri, "start", name], check: "virsh -c \(uri) start")
    }

    private static func run(_ tool: String, _ arguments: [String], check: String) async throws(Failure) {
        let outcome: HostTool.Outcome
        do {
            outcome = try await HostTool.run(tool, arguments, package: "libvirt-clients")
        } catch {
            throw Failure(check: check, output: error.description)
        }
        guard outcome.status == 0 else { throw Failure(check: check, output: outcome.tail) }
    }
}
