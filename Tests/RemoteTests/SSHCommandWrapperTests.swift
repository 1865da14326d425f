import Foundation
import Remote
import TestSupport
import Testing

/// The forced-command wrapper for the KVM host's key on the Xen host (ssh/xen2kvm-ssh-command,
/// in authorized_keys as `restrict,command="…"`): what xen2kvm sends runs through it, nothing
/// else runs at all.
@Suite(.serialized)
struct SSHCommandWrapperTests {
    static var wrapper: String { "\(Fixtures.packageRoot)/ssh/xen2kvm-ssh-command" }

    /// The key options for the Xen host: the wrapper, the test's xen2kvm, the allowed directories.
    static func keyOptions(_ directories: [String]) -> String {
        let command = ["/bin/sh", wrapper, "--xen2kvm", Xen2KVMBinary.path] + directories
        return "restrict,command=\"\(command.joined(separator: " "))\""
    }

    /// The wrapper holds each script xen2kvm sends, byte for byte, and knows every verb.
    @Test func holdsTheScriptsXen2kvmSends() throws {
        let text = try String(contentsOfFile: Self.wrapper, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        for command in RemoteCommand.allCases {
            let name = command.rawValue.replacing("-", with: "_") + "_body="
            let line = lines.first { $0.hasPrefix(name) }
            #expect(line == "\(name)'\(command.body)'", "\(command): the wrapper's copy differs from RemoteCommand's")
            #expect(!command.body.contains("'"), "\(command): a body holds no single quote")
        }
        let verbs = lines.first { $0.hasPrefix("verbs=") }
        #expect(verbs == "verbs='\(RemoteCommand.allCases.map(\.rawValue).joined(separator: " "))'")
    }

    @Test(
        .requires(root: true, tools: TestHosts.tools + ["mke2fs", "e2image", "e2fsck", "sha256sum"]),
        arguments: ["e2image", "x2k"])
    func aRemoteConvertWorksThroughIt(_ transport: String) async throws {
        let xen = try await RemoteConvertTests.XenStorage.make()
        let work = try TemporaryDirectory()
        let local = work.file("local.img")
        let remote = work.file("remote.img")
        try await X2KTransportTests.localConvert(xen, into: local)
        try await TestHosts.with(xenBinds: [xen.bind], xenKeyOptions: Self.keyOptions([xen.view])) { hosts in
            let result = try await X2KTransportTests.convertOnKVM(
                hosts, [hosts.url(path: xen.guestOnXen), remote, "--no-fix", "--transport", transport])
            print("through the wrapper, \(transport):\n\(result.stderr)")
            #expect(result.succeeded, "\(result.stderr)\(result.stdout)")
            #expect(result.stderr.contains("by \(transport)"), "\(result.stderr)")
            #expect(
                try RemoteConvertTests.withoutDiskSignature(remote) == RemoteConvertTests.withoutDiskSignature(local))
        }
    }

    @Test(
        .requires(
            root: true, tools: TestHosts.tools + WebGuest.tools + ["e2image", "e2fsck", "virsh", "virt-xml-validate"]))
    func aMigrateFromWorksThroughIt() async throws {
        let xen = try await XenHostGuest()
        let work = try TemporaryDirectory()
        try await xen.with(keyOptions: Self.keyOptions([xen.view, "/etc/xen"])) { hosts in
            let run = try await RemoteMigrateTests.migrateOnKVM(
                hosts, [WebGuest.name, "--storage", "dir:\(work.path)"] + RemoteMigrateTests.common)
            print("migrate --from through the wrapper: exit \(run.status)\n\(run.stderr)")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("definition: /etc/xen/web02.cfg on 192.0.2.1"), "\(run.stderr)")
            #expect(run.stderr.contains("web02 is not running there"), "\(run.stderr)")
            // The running guest is still seen as running through the wrapper.
            let busy = try await RemoteMigrateTests.migrateOnKVM(
                hosts, [XenHostGuest.running, "--storage", "dir:\(work.file("busy"))"])
            #expect(busy.status == 2 && busy.stderr.contains("is running on the Xen host"), "\(busy.stderr)")
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: work.path).sorted()
                == ["web02-xvda1.img", "web02-xvda2.img", "web02-xvdb.img", "web02.xml"])
    }

    /// Another command, a path elsewhere, shell syntax, a quote escaping its word, a login:
    /// each refused on stderr with exit 1, and nothing runs (no marker file, the image kept).
    @Test(.requires(root: true, tools: TestHosts.tools + ["mke2fs", "sha256sum"]))
    func refusesEverythingElseAndRunsNothing() async throws {
        let xen = try await RemoteConvertTests.XenStorage.make()
        let marker = xen.dir.file("marker")
        let image = xen.guestOnXen
        let touch = "touch \(marker)"
        let dd = { (path: String) in RemoteCommand.dd.line([path]) }
        let refused: [String] = [
            "\(touch); cat /etc/shadow",
            "cat /etc/shadow",
            "rm -rf \(image); \(touch)",
            "exec sh -c 'dd if=\"$1\" of=\"$2\"' xen2kvm-dd '\(image)' '\(marker)'",
            "exec sh -c '\(touch)' xen2kvm-dd '\(image)'",
            String(dd(image).dropFirst("exec ".count)),
            RemoteCommand.e2image.line(["/etc/shadow"]),
            dd("\(xen.view)/../../../etc/shadow"),
            dd("/etc/shadow"),
            dd(image) + "; \(touch)",
            dd(image) + " | \(touch)",
            dd(image) + " && \(touch)",
            dd("\(xen.view)/$(\(touch))"),
            dd("\(image)'; \(touch); '"),
            dd("\(image)\n\(touch)"),
            "\(dd(image))\n\(touch)",
            RemoteCommand.send.line(["/bin/sh", "-c", touch, "--", image]),
            RemoteCommand.send.line([Xen2KVMBinary.path, "send", "--output", marker, "--", image]),
            RemoteCommand.running.line(["$(\(touch))"]),
            RemoteCommand.identities.line([image, "/etc/shadow"]),
        ]
        try await TestHosts.with(xenBinds: [xen.bind], xenKeyOptions: Self.keyOptions([xen.view])) { hosts in
            func ssh(_ command: String?) async throws -> CommandResult {
                try await hosts.run(
                    on: .kvm,
                    ["ssh", "-F", hosts.sshConfig, "-o", "BatchMode=yes", "-T", "root@\(hosts.address(.xen))"]
                        + (command.map { [$0] } ?? []))
            }
            // What xen2kvm sends does run (the refusals below are the wrapper's, not a broken key).
            let allowed = try await ssh(RemoteCommand.identities.line([image, "\(xen.view)/missing.img"]))
            #expect(allowed.succeeded, "\(allowed.stderr)")
            #expect(allowed.stdout.split(separator: "\n").last == "missing", "\(allowed.stdout)")
            for command in refused + [nil] {
                let result = try await ssh(command)
                #expect(result.status == 1, "\(command ?? "login"): exit \(result.status)")
                #expect(
                    result.stderr.hasPrefix("xen2kvm-ssh-command: refused: "),
                    "\(command ?? "login"): \(result.stderr)")
                #expect(result.stdout.isEmpty, "\(command ?? "login") answered \(result.stdout)")
            }
            let check = try await hosts.run(on: .xen, ["test", "-e", marker])
            #expect(check.status == 1, "a refused command ran: \(marker) exists")
            #expect(try await hosts.run(on: .xen, ["test", "-f", image]).succeeded, "the image was removed")
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
