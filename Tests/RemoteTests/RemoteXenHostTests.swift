import Conversion
import TestSupport
import Testing

@testable import Remote

/// What `migrate --from` and a fleet's `source` take for the Xen host and the guest: no host
/// needed.
@Suite struct RemoteXenHostTests {
    @Test func parsesTheHostURL() throws {
        #expect(try SSHEndpoint.parse(url: "ssh://root@xen1") == SSHEndpoint(user: "root", host: "xen1"))
        #expect(try SSHEndpoint.parse(url: "ssh://root@xen1/") == SSHEndpoint(user: "root", host: "xen1"))
        #expect(try SSHEndpoint.parse(url: "ssh://xen1:2222") == SSHEndpoint(host: "xen1", port: 2222))
        #expect(try SSHEndpoint.parse(url: "ssh://[2001:db8::1]").host == "2001:db8::1")
    }

    @Test(arguments: [
        "root@xen1", "ssh://", "ssh://root@xen1/etc/xen/web01.cfg", "ssh://-oProxyCommand=x", "ssh://root@xen1:0",
        "ssh://ro;ot@xen1",
    ])
    func refusesAHostURLThatIsNotOne(_ text: String) {
        #expect(throws: ConversionError.self) { try SSHEndpoint.parse(url: text) }
    }

    /// A guest name goes into the remote shell (quoted, and only when it looks like a name).
    @Test func takesGuestNamesOnly() {
        for name in ["web01", "db-01.example", "mail_2", "a+b"] { #expect(RemoteXenHost.isGuestName(name), "\(name)") }
        for name in ["", "-x", ".hidden", "../etc/passwd", "web 01", "web;reboot", "$(reboot)", "wéb"] {
            #expect(!RemoteXenHost.isGuestName(name), "\(name)")
        }
        #expect(RemoteXenHost.configPaths(of: "web01") == ["/etc/xen/web01.cfg", "/etc/xen/web01"])
    }

    @Test func refusesOnlyARunningGuest() {
        #expect(RemoteXenHost.refusal(.notRunning(tool: "xl"), name: "web01", host: "xen1") == nil)
        #expect(RemoteXenHost.refusal(.unknown, name: "web01", host: "xen1") == nil)
        let refusal = RemoteXenHost.refusal(.running(tool: "xm"), name: "web01", host: "xen1") ?? ""
        #expect(refusal.hasPrefix("the guest web01 is running on the Xen host xen1 (`xm list web01` lists it there)"))
    }

    /// Usage errors before any connection: a guest that is neither a name nor a path, a host
    /// that is no ssh URL, ssh options without --from.
    @Test(arguments: [
        (["web;01", "--from", "ssh://root@xen1"], "with --from, name the guest (web01)"),
        (["web01", "--from", "root@xen1"], "name the Xen host as ssh://[USER@]HOST[:PORT]"),
        (["web01.cfg", "--transport", "dd"], "are for a guest on a Xen host (--from)"),
    ])
    func refusesBadRemoteUsage(_ arguments: [String], _ message: String) async throws {
        let run = try await Xen2KVMBinary.run(["migrate"] + arguments + ["--storage", "dir:/nonexistent"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
