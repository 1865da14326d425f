import Foundation
import TestSupport
import Testing

/// Where the kernel lacks a piece the guest's programs are contained with, `fix` fails and
/// says what is missing; it never runs them another way unasked. No user namespace is made
/// to happen without changing the host: xen2kvm-sandbox runs under a seccomp filter that
/// refuses CLONE_NEWUSER (Fixtures/programs/no-user-namespaces.c), as a host with
/// user.max_user_namespaces 0 or a container runtime's filter does, chosen with
/// XEN2KVM_SANDBOX in this run's environment only.
@Suite struct MissingKernelPieceTests {
    @Test(.requires(root: true, tools: ["mke2fs", "debugfs", "cc"]))
    func noUserNamespacesIsAFailureThatSaysSo() async throws {
        let dir = try TemporaryDirectory()
        let refuser = dir.file("no-user-namespaces")
        _ = try await Command.check(
            "cc", ["-O1", "-o", refuser, "\(Fixtures.packageRoot)/Fixtures/programs/no-user-namespaces.c"])
        let sandbox = "\(Fixtures.packageRoot)/.build/debug/xen2kvm-sandbox"
        let launcher = dir.file("sandbox-without-user-namespaces")
        try "#!/bin/sh\nexec \(refuser) \(sandbox) \"$@\"\n".write(toFile: launcher, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: launcher)

        // The fixture with the /tmp a profile script is put in.
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree("centos6"), toPath: tree)
        try FileManager.default.createDirectory(atPath: tree + "/tmp", withIntermediateDirectories: true)
        let source = dir.file("source.img")
        try await Fixtures.makeImage(from: tree, at: source)
        let target = dir.file("kvm.img")
        let copied = try await Xen2KVMBinary.run(["convert", "--no-fix", "--quiet", source, target])
        #expect(copied.status == 0, "\(copied.stderr)")
        // A profile whose one step leaves a mark in the guest: it must never run.
        let profile = dir.file("mark")
        try "#!/bin/sh\necho ran > /xen2kvm-profile-ran\n".write(toFile: profile, atomically: true, encoding: .utf8)

        let run = try await Xen2KVMBinary.run(
            ["fix", "--profile", profile, target], environment: ["XEN2KVM_SANDBOX": launcher])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("cannot contain the guest's programs on this host"), "\(run.stderr)")
        #expect(run.stderr.contains("the kernel gives no user namespace"), "\(run.stderr)")
        #expect(run.stderr.contains("--trust-guest"), "\(run.stderr)")
        let listing = try await Command.check("debugfs", ["-R", "ls -l /", "\(target)?offset=1048576"]).stdout
        #expect(listing.contains("etc") && !listing.contains("xen2kvm-profile-ran"), "\(listing)")
    }
}
