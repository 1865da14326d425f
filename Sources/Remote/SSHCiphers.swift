import HostSystem
import Subprocess

/// The cipher order the ssh master asks for. Everything a transfer moves is encrypted once by
/// the Xen host's sshd and decrypted once by the master, so the cipher bounds the transfer:
/// on a CPU with AES instructions AES-GCM runs about twice as fast as chacha20-poly1305,
/// which OpenSSH's default list puts first (1 GB through `ssh … cat`: 3.9 s against 6.6 s here).
///
/// The order is changed only where nobody chose one: the effective list (`ssh -G`) is OpenSSH's
/// default set (whichever version's order) and the CPU has AES instructions. A list the user's
/// ssh_config or the system's crypto policy sets is left as it is. The default ciphers all stay
/// in the list, so a server that offers only chacha20 (or only CTR) still connects: the client
/// picks its first cipher the server also has.
enum SSHCiphers {
    /// OpenSSH's default client ciphers (ssh_config(5)); 9.9 moved the GCM ones before CTR.
    static let openSSHDefaults: Set<String> = [
        "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
    ]

    /// The same set, AES-GCM first (128 before 256: as safe here and faster).
    static let aesFirst = [
        "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr",
        "aes192-ctr", "aes256-ctr",
    ]

    /// The `-o Ciphers=…` the master gets, or nothing when the effective list stays.
    /// `effective` is the `ciphers` line of `ssh -G` (nil: unknown, e.g. an ssh without -G).
    static func option(effective: String?, cpuHasAES: Bool) -> [String] {
        guard cpuHasAES, let effective,
            Set(effective.split(separator: ",").map(String.init)) == openSSHDefaults
        else { return [] }
        return ["-o", "Ciphers=\(aesFirst.joined(separator: ","))"]
    }

    /// Whether /proc/cpuinfo lists AES instructions: x86's `aes` flag, arm64's `aes` feature.
    static func cpuHasAES(cpuinfo: String) -> Bool {
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].filter { !$0.isWhitespace }
            guard key == "flags" || key == "Features" else { continue }
            return parts[1].split(separator: " ").contains("aes")
        }
        return false
    }

    static var cpuHasAES: Bool { HostFiles.read("/proc/cpuinfo").map { cpuHasAES(cpuinfo: $0) } ?? false }

    /// The cipher list ssh would use for this connection (`ssh -G`: the user's and the system's
    /// ssh_config applied), or nil when ssh cannot say.
    static func effective(_ sshArguments: [String]) async -> String? {
        guard
            let result = try? await Subprocess.run(
                .path(.init(SSHConnection.setpriv)),
                arguments: Arguments(["--pdeathsig", "KILL", "--", SSHConnection.ssh, "-G"] + sshArguments),
                output: .string(limit: 1 << 20), error: .discarded),
            case .exited(0) = result.terminationStatus
        else { return nil }
        for line in result.standardOutput.split(separator: "\n") where line.hasPrefix("ciphers ") {
            return String(line.dropFirst("ciphers ".count))
        }
        return nil
    }
}
