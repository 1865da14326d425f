import Foundation
import TestSupport
import Testing

@testable import Remote

/// The ssh master's cipher order: AES-GCM first where nobody chose an order and the CPU has
/// AES instructions; a server that lacks AES-GCM still connects.
@Suite struct SSHCipherOrderTests {
    static let debian12 =
        "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
    static let openSSH99 =
        "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"

    @Test func theDefaultListGetsAESGCMFirst() {
        for effective in [Self.debian12, Self.openSSH99] {
            let option = SSHCiphers.option(effective: effective, cpuHasAES: true)
            #expect(option.count == 2 && option[0] == "-o")
            let offered = option.last?.split(separator: "=").last?.split(separator: ",").map(String.init) ?? []
            #expect(offered.prefix(2) == ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"])
            // Every default cipher is still offered: a server without AES-GCM still connects.
            #expect(Set(offered) == SSHCiphers.openSSHDefaults && offered.count == 6)
        }
    }

    @Test func aChosenListOrACPUWithoutAESIsLeftAlone() {
        #expect(SSHCiphers.option(effective: Self.debian12, cpuHasAES: false).isEmpty)
        #expect(
            SSHCiphers.option(effective: "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com", cpuHasAES: true)
                .isEmpty)
        #expect(SSHCiphers.option(effective: "chacha20-poly1305@openssh.com", cpuHasAES: true).isEmpty)
        #expect(SSHCiphers.option(effective: nil, cpuHasAES: true).isEmpty)
    }

    @Test func readsAESFromCPUInfo() {
        #expect(SSHCiphers.cpuHasAES(cpuinfo: "processor\t: 0\nflags\t\t: fpu sse2 aes avx pclmulqdq\n"))
        #expect(!SSHCiphers.cpuHasAES(cpuinfo: "processor\t: 0\nflags\t\t: fpu sse2 avx\n"))
        #expect(SSHCiphers.cpuHasAES(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd aes pmull sha1\n"))
        #expect(!SSHCiphers.cpuHasAES(cpuinfo: "model name\t: aes-less\n"))
    }
}

/// The cipher the Xen host's sshd negotiated with xen2kvm's master (its debug log), with a
/// server offering OpenSSH's defaults and one offering only chacha20-poly1305.
@Suite(.serialized, .requires(root: true, tools: TestHosts.tools + ["mke2fs"]))
struct SSHCipherTests {
    @Test(arguments: [nil, "chacha20-poly1305@openssh.com"])
    func theMasterPrefersAESGCMAndStillConnectsWithout(_ serverCiphers: String?) async throws {
        let xen = try await RemoteConvertTests.XenStorage.make()
        let work = try TemporaryDirectory()
        let sshd = ["LogLevel DEBUG1"] + (serverCiphers.map { ["Ciphers \($0)"] } ?? [])
        try await TestHosts.with(xenBinds: [xen.bind], xenSSHD: sshd) { hosts in
            let log = hosts.directory.file("xen/sshd.log")
            // What the hosts' own readiness check logged (plain ssh) comes before this.
            let before = try Data(contentsOf: URL(fileURLWithPath: log)).count
            let result = try await RemoteConvertTests.convertOnKVM(
                hosts,
                [
                    hosts.url(path: xen.guestOnXen), work.file("d.img"), "--no-fix", "--dry-run", "--transport", "x2k",
                    "--remote-xen2kvm", Xen2KVMBinary.path,
                ])
            #expect(result.succeeded, "\(result.stderr)")
            let logged = String(
                decoding: try Data(contentsOf: URL(fileURLWithPath: log)).dropFirst(before), as: UTF8.self)
            let chosen = logged.split(separator: "\n").compactMap { line in
                line.range(of: "kex: client->server cipher: ").map { line[$0.upperBound...].prefix { $0 != " " } }
            }
            let expected =
                serverCiphers
                ?? (SSHCiphers.cpuHasAES ? "aes128-gcm@openssh.com" : "chacha20-poly1305@openssh.com")
            #expect(chosen == [Substring(expected)], "\(logged)")
        }
    }
}
