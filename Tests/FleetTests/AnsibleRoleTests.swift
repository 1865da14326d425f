import Foundation
import TestSupport
import Testing

/// The Ansible role (ansible/roles/xen2kvm) run by Debian's `ansible-playbook` against the KVM
/// namespace host of TestHosts over its sshd, with a private libvirtd for the define and the
/// start, the guest on the Xen namespace host (XenHostGuest: its definition in /etc/xen there,
/// its disks only there, pulled by x2k over the KVM host's own ssh to it): `--check` changes
/// nothing anywhere, the run migrates, defines and starts, the rerun reports changed=0.
///
/// The controller is this machine with the Xen host's network (`nsenter --net`): the
/// namespaces have no route out, and the KVM host's sshd listens on 192.0.2.2 only. The KVM
/// host sees this machine's files, so the install prefix, the fleet directory and the
/// storage are the test's own directories, and the guest's images are where it reads them.
@Suite struct AnsibleRoleTests {
    static let tools =
        WebGuest.tools + TestHosts.tools + PrivateLibvirt.tools + ["ansible-playbook", "virt-xml-validate"]

    /// The role's paths on the KVM host, all inside one test directory.
    struct Layout {
        let directory: TemporaryDirectory
        var prefix: String { directory.file("kvm/prefix") }
        var fleet: String { directory.file("kvm/fleet") }
        var storage: String { directory.file("kvm/storage") }
        /// The controller's `make install DESTDIR=…` tree, and the archive of it the role takes.
        var destdir: String { directory.file("dist") }
        var archive: String { directory.file("xen2kvm.tar.gz") }
        var inventory: String { directory.file("inventory.yml") }
        /// What the KVM side may hold after a check run: none of these exists.
        var kvmSide: [String] { [prefix, fleet, storage] }

        init() throws { directory = try TemporaryDirectory(prefix: "xen2kvm-ansible") }

        /// `make archive` for this prefix, from the binaries this build made: the tree `make
        /// install DESTDIR PREFIX` makes, packed by scripts/install-archive.
        func makeArchive() async throws {
            let root = destdir + prefix
            let files = FileManager.default
            try files.createDirectory(atPath: "\(root)/bin", withIntermediateDirectories: true)
            try files.createDirectory(atPath: "\(root)/lib/xen2kvm", withIntermediateDirectories: true)
            let built = URL(fileURLWithPath: Xen2KVMBinary.path).deletingLastPathComponent().path
            try files.copyItem(atPath: Xen2KVMBinary.path, toPath: "\(root)/bin/xen2kvm")
            try files.copyItem(atPath: "\(built)/xen2kvm-sandbox", toPath: "\(root)/lib/xen2kvm/xen2kvm-sandbox")
            try files.copyItem(atPath: "\(Fixtures.packageRoot)/helpers", toPath: "\(root)/lib/xen2kvm/helpers")
            try await Command.check("\(Fixtures.packageRoot)/scripts/install-archive", [destdir, prefix, archive])
        }
    }

    /// One PLAY RECAP line's counts.
    struct Recap: CustomStringConvertible {
        var counts: [String: Int]
        var changed: Int { counts["changed"] ?? -1 }
        var failed: Int { counts["failed"] ?? -1 }
        var unreachable: Int { counts["unreachable"] ?? -1 }
        var description: String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }

        /// The recap line of `host` in ansible-playbook's output.
        static func of(_ host: String, in run: CommandResult) throws -> Recap {
            let output = run.stdout
            let recap = try #require(output.range(of: "PLAY RECAP"), "no PLAY RECAP in:\n\(output)\(run.stderr)")
            let line = try #require(
                output[recap.upperBound...].split(separator: "\n").first { $0.hasPrefix("\(host) ") },
                "no recap line for \(host):\n\(output)")
            var counts: [String: Int] = [:]
            for field in line.split(separator: " ") {
                let pair = field.split(separator: "=")
                if pair.count == 2, let value = Int(pair[1]) { counts[String(pair[0])] = value }
            }
            return Recap(counts: counts)
        }
    }

    static let host = "kvm"

    @Test(.requires(root: true, tools: tools))
    func checkChangesNothingTheRunMigratesAndStartsTheRerunChangesNothing() async throws {
        let xen = try await XenHostGuest()
        var before: [String] = []
        for source in xen.guest.sources { before.append(try await sha256(source)) }
        let layout = try Layout()
        try await layout.makeArchive()
        let stagingBefore = Self.stagingDirectories()
        let namespaces = try await PrivateLibvirt.with(bridges: ["br0"]) { libvirt in
            try await xen.with { hosts in
                try Self.writeInventory(layout, hosts: hosts, libvirt: libvirt)

                // --check: the dry run says the guest is ready; nothing is installed, rendered,
                // copied or defined, and the staging directory is gone.
                let check = try await Self.playbook(["--check"], layout: layout, hosts: hosts)
                let checked = try Recap.of(Self.host, in: check)
                try #require(check.status == 0 && checked.failed == 0 && checked.unreachable == 0, "\(check.stdout)")
                #expect(check.stdout.contains("alpha: ready"), "\(check.stdout)")
                #expect(check.stdout.contains("web02: would be defined"), "\(check.stdout)")
                // The fleet options reach the dry run's command line (shown first), then the
                // readiness, a line an item.
                #expect(
                    check.stdout.contains("bin/xen2kvm fleet ")
                        && check.stdout.contains("/fleet.json --dry-run --json --state ")
                        && check.stdout.contains(" --parallel 1 --per-source 1 --ssh-config \(hosts.sshConfig)\","),
                    "\(check.stdout)")
                #expect(
                    check.stdout.contains("\n        \"  not done yet: its disks are received and converted\",\n"),
                    "\(check.stdout)")
                #expect(check.stdout.contains("  xvda1: transport x2k, "), "\(check.stdout)")
                for path in layout.kvmSide { #expect(!FileManager.default.fileExists(atPath: path), "\(path)") }
                #expect(Self.stagingDirectories() == stagingBefore)
                #expect(try await libvirt.domains() == [])

                // The run: installed, migrated, defined, started.
                let run = try await Self.playbook([], layout: layout, hosts: hosts)
                let ran = try Recap.of(Self.host, in: run)
                try #require(run.status == 0 && ran.failed == 0, "\(run.stdout)\(run.stderr)")
                #expect(ran.changed > 0, "\(ran)")
                #expect(run.stdout.contains("alpha: finished"), "\(run.stdout)")
                #expect(
                    run.stdout.contains(
                        "\(layout.prefix)/bin/xen2kvm fleet \(layout.fleet)/fleet.json --json --state "
                            + "\(layout.fleet)/fleet.state --parallel 1 --per-source 1"), "\(run.stdout)")
                // The manifest's defaults from the role's variables, as rendered.
                let rendered = try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: "\(layout.fleet)/fleet.json")))
                let defaults = try #require((rendered as? [String: Any])?["defaults"] as? [String: Any])
                #expect(defaults["bootCheck"] as? Bool == false, "\(defaults)")
                #expect(defaults["transport"] as? String == "auto", "\(defaults)")
                #expect(defaults["remoteXen2kvm"] as? String == Xen2KVMBinary.path, "\(defaults)")
                // The KVM host pulled the disks from the Xen host over its own ssh: x2k for the
                // ext root and data volume, of the swap only its header, nothing written there.
                let sends = xen.commandsRun().split(separator: "\n").filter { $0.contains("'send' '--' ") }
                #expect(sends.count == 4, "\(xen.commandsRun())")
                #expect(!xen.commandsRun().contains("of="), "\(xen.commandsRun())")
                #expect(FileManager.default.isExecutableFile(atPath: "\(layout.prefix)/bin/xen2kvm"))
                #expect(FileManager.default.isExecutableFile(atPath: "\(layout.prefix)/lib/xen2kvm/xen2kvm-sandbox"))
                for disk in ["xvda1", "xvda2", "xvdb"] {
                    #expect(FileManager.default.fileExists(atPath: "\(layout.storage)/web02-\(disk).img"))
                }
                #expect(FileManager.default.fileExists(atPath: "\(layout.fleet)/fleet.state/alpha.json"))
                #expect(try await libvirt.domains() == ["web02"])
                let state = try await libvirt.virsh(["domstate", "web02"])
                #expect(state.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "running", "\(state)")

                // The rerun: every guest done, defined and running already: nothing changed.
                let rerun = try await Self.playbook([], layout: layout, hosts: hosts)
                let again = try Recap.of(Self.host, in: rerun)
                #expect(rerun.status == 0 && again.failed == 0, "\(rerun.stdout)\(rerun.stderr)")
                #expect(again.changed == 0, "\(again)\n\(rerun.stdout)")
                #expect(rerun.stdout.contains("alpha: done"), "\(rerun.stdout)")
                // The check's readiness and the run's report, as README shows them.
                for (name, output) in [("check", check.stdout), ("run", run.stdout)] {
                    let tasks = output.components(separatedBy: "\n\n").filter {
                        $0.contains("Show the fleet's readiness") || $0.contains("Show what the fleet did")
                    }
                    print("ansible-playbook \(name):\n\(tasks.joined(separator: "\n"))")
                }
                print("ansible-playbook recaps: check \(checked); run \(ran); rerun \(again)")

                // No login wait under TCG: the domain goes as soon as it is proven.
                #expect(try await libvirt.virsh(["destroy", "web02"]).succeeded)
                #expect(try await libvirt.virsh(["undefine", "web02"]).succeeded)
                return Host.allCases.map { hosts.namespace($0) }
            }
        }
        let listed = try await Command.check("ip", ["netns", "list"]).stdout
        for name in namespaces { #expect(!listed.contains(name), "namespace \(name) left") }
        var after: [String] = []
        for source in xen.guest.sources { after.append(try await sha256(source)) }
        #expect(after == before, "the sources are never written")
    }

    typealias Host = TestHosts.Host

    /// ansible-playbook site.yml from this machine with the Xen host's network, every ansible
    /// directory (its home, temp files, the async jobs' results, the ssh control sockets) the
    /// test's own, colours off, the repository's role.
    static func playbook(_ extra: [String], layout: Layout, hosts: TestHosts) async throws -> CommandResult {
        let xen = try #require(hosts.sshdPid(.xen))
        let home = layout.directory.file("ansible")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "[defaults]\n".write(toFile: "\(home)/ansible.cfg", atomically: true, encoding: .utf8)
        let environment = [
            "ANSIBLE_CONFIG": "\(home)/ansible.cfg", "ANSIBLE_HOME": home, "ANSIBLE_LOCAL_TEMP": "\(home)/tmp",
            "ANSIBLE_REMOTE_TEMP": "\(home)/remote-tmp", "ANSIBLE_ASYNC_DIR": "\(home)/async",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": "\(home)/cp", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_FORCE_COLOR": "0",
        ]
        return try await Command.run(
            "nsenter",
            ["--target", String(xen), "--net", "--", "ansible-playbook", "-i", layout.inventory]
                + extra + ["\(Fixtures.packageRoot)/ansible/site.yml"],
            environment: environment)
    }

    /// The inventory: the KVM host over its sshd with TestHosts' ssh config; the role's
    /// variables pointing at the test's directories, the private libvirt and one guest.
    static func writeInventory(_ layout: Layout, hosts: TestHosts, libvirt: PrivateLibvirt) throws {
        let variables: [String: Any] = [
            "ansible_host": hosts.address(.kvm), "ansible_user": "root",
            "ansible_ssh_common_args": "-F \(hosts.sshConfig)",
            // The test sshds have no sftp subsystem: files go through the ssh session itself.
            "ansible_ssh_transfer_method": "piped", "ansible_python_interpreter": "/usr/bin/python3",
            "xen2kvm_archive": layout.archive, "xen2kvm_prefix": layout.prefix,
            "xen2kvm_fleet_dir": layout.fleet, "xen2kvm_storage": "dir:\(layout.storage)",
            "xen2kvm_bridge_map": ["xenbr0": "br0"], "xen2kvm_domain_type": "qemu",
            // The fixture guest has no programs to run (its initrd, grub): edits only.
            "xen2kvm_fix": ["editsOnly": true], "xen2kvm_libvirt_uri": libvirt.uri, "xen2kvm_poll": 2,
            // No boot check here (it would boot the guest under TCG): false, to see it rendered.
            "xen2kvm_boot_check": false, "xen2kvm_per_source": 1,
            // The guest on the Xen host, by name: its xen2kvm for x2k, the KVM host's ssh config
            // to reach it.
            "xen2kvm_transport": "auto", "xen2kvm_remote_xen2kvm": Xen2KVMBinary.path,
            "xen2kvm_ssh_config": hosts.sshConfig,
            "xen2kvm_guests": [
                ["name": "alpha", "definition": WebGuest.name, "source": "ssh://root@\(hosts.address(.xen))"]
            ],
        ]
        let inventory = ["all": ["children": ["kvm_hosts": ["hosts": [host: variables]]]]]
        // JSON is YAML: ansible's yaml inventory plugin reads it.
        let data = try JSONSerialization.data(withJSONObject: inventory, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: layout.inventory))
    }

    /// The check run's staging directories (tempfile's `*.xen2kvm-check` in /tmp).
    static func stagingDirectories() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        return Set(names.filter { $0.hasSuffix(".xen2kvm-check") })
    }
}
