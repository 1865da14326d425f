import Foundation
import TestSupport
import Testing

/// `xen2kvm migrate --from ssh://XEN GUEST --define URI --start` against a real libvirtd (a
/// private one: PrivateLibvirt): the two-disk Debian 12 Xen guest (case C of the boot proof: root
/// by UUID, swap on the second Xen disk /dev/xvdb1, scripts/make-debian-guest gpt-swap), its
/// xl.cfg with a MAC and a bridge in /etc/xen of a Xen host (TestHosts: a network namespace with
/// its own sshd) and its disks visible only there, is pulled over ssh (x2k for the root, the swap
/// header), boot-checked, and becomes a TCG domain that libvirt starts and that reaches its login
/// prompt, with the swap active and the NIC carrying the Xen MAC, as its own serial console says.
/// RemoteMigrateTests proves the remote migrate gives the local migrate's disks.
@Suite struct LibvirtMigrationTests {
    static let mac = "00:16:3e:4c:0c:01"
    static let name = "debian-c"

    /// The guest says on its serial console, before its login prompt, each NIC's name and MAC
    /// and which swap areas are active (waiting up to a minute for a NIC and a swap).
    static let report = """
        #!/bin/sh
        for i in $(seq 60); do
            ls /sys/class/net | grep -qv '^lo$' && grep -q '^/dev/' /proc/swaps && break
            sleep 1
        done
        nics=$(for n in $(ls /sys/class/net | grep -v '^lo$'); do printf '%s=%s ' $n $(cat /sys/class/net/$n/address); done)
        echo "xen2kvm-check nics=$nics swaps=$(tail -n +2 /proc/swaps | cut -d' ' -f1 | tr '\\n' ' ')" > /dev/ttyS0

        """
    /// Case C's network config: systemd-networkd on eth0, so the fixes keep the Xen name
    /// (net.ifnames=0). Its address is a documentation one, in the test's network namespace.
    static let network = "[Match]\nName=eth0\n\n[Network]\nAddress=192.0.2.10/24\n"
    static let unit = """
        [Unit]
        Description=xen2kvm test: the NIC's MAC and the active swap on the serial console
        After=swap.target
        Before=serial-getty@ttyS0.service getty.target

        [Service]
        Type=oneshot
        ExecStart=/bin/sh /etc/xen2kvm-check.sh

        [Install]
        WantedBy=multi-user.target

        """

    @Test(
        .requires(
            root: true,
            tools: PrivateLibvirt.tools + TestHosts.tools + [
                "debootstrap", "mke2fs", "mkswap", "debugfs", "losetup", "sha256sum", "virt-xml-validate",
            ]))
    func migratedGuestStartsOnLibvirtAndLogsIn() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let dir = try TemporaryDirectory(prefix: "xen2kvm-libvirt-guest")
        // The Xen host's disks (bound onto `view` in its mount namespace only) and its /etc/xen.
        let xenDisks = dir.file("xen-disks")
        let view = dir.file("xen-view")
        let xenEtc = dir.file("xen-etc")
        for directory in [xenDisks, view, "\(xenEtc)/xen"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let root = try await Self.rootImage(in: dir, at: "\(xenDisks)/root.img")
        let swap = "\(xenDisks)/swap.img"
        try await Command.check("truncate", ["-s", "256M", swap])
        try await Command.check("mkswap", ["-q", "-L", "xenswap", swap])
        let storage = dir.file("kvm")
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        try """
        name = "\(Self.name)"
        uuid = "4c0c0c01-5e2a-4b1d-9c3e-7a6b5c4d3e2f"
        memory = 512
        vcpus = 1
        bootloader = "pygrub"
        disk = [ 'file:\(view)/root.img,xvda1,w', 'file:\(view)/swap.img,xvdb1,w' ]
        vif = [ 'mac=\(Self.mac),bridge=xenbr0' ]

        """.write(toFile: "\(xenEtc)/xen/\(Self.name).cfg", atomically: false, encoding: .utf8)
        let before = [try await sha256(root), try await sha256(swap)]
        let cgroupsBefore = Self.machineCgroups()

        try await PrivateLibvirt.with(bridges: ["br0"]) { libvirt in
            let console = libvirt.serialLog(of: Self.name)
            // The slot covers the TCG boots: the boot check, then from the start to the login
            // prompt and the destroy.
            let (run, log) = try await BootSlots.boot {
                let run = try await TestHosts.with(
                    xenBinds: [.init(source: xenDisks, target: view)], xenLayers: [.init(xenEtc, over: "/etc")]
                ) { hosts in
                    try await hosts.run(
                        on: .kvm,
                        [
                            Xen2KVMBinary.path, "migrate", "--from", "ssh://root@\(hosts.address(.xen))", Self.name,
                            "--ssh-config", hosts.sshConfig, "--remote-xen2kvm", Xen2KVMBinary.path,
                            "--storage", "dir:\(storage)", "--bridge-map", "xenbr0=br0", "--domain-type", "qemu",
                            "--boot-check", "--accel", "tcg", "--boot-timeout", "\(BootSlots.loginSeconds)",
                            "--define", libvirt.uri, "--start",
                        ])
                }
                guard run.status == 0 else { return (run, "") }
                let started = clock.now
                print("LibvirtMigrationTests: migrate, define and start after \(started - began)")
                let log = try await Self.waitForLogin(console, libvirt: libvirt, seconds: BootSlots.loginSeconds)
                print("LibvirtMigrationTests: \(clock.now - started) from the start to the login prompt")
                _ = try await libvirt.virsh(["destroy", Self.name])
                return (run, log)
            }
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            print(run.stderr + run.stdout)
            // The root crossed by x2k, written straight into its target; of the swap, its header.
            let xenRoot = "ssh://root@192.0.2.1\(view)/root.img"
            #expect(
                run.stderr.contains("received \(xenRoot) by x2k straight into \(storage)/\(Self.name)-xvda1.img"),
                "\(run.stderr)")
            #expect(run.stderr.contains("/swap.img (xvdb1) by dd, its first 65536 bytes only"), "\(run.stderr)")
            #expect(run.stdout.contains("defined on \(libvirt.uri) and started"), "\(run.stdout)")
            // --boot-check booted both disks before the domain was defined.
            #expect(run.stdout.contains("  boot check: login prompt after"), "\(run.stdout)")
            #expect(run.stdout.contains("    swap /dev/vdb1 activated"), "\(run.stdout)")
            #expect(run.stdout.contains("console log /var/log/libvirt/qemu/\(Self.name)-serial0.log"), "\(run.stdout)")
            let tail = ConsoleLines.tail(log)
            #expect(log.contains("login:"), "no login prompt on the serial console:\n\(tail)")
            #expect(log.contains("xen2kvm-check nics=eth0=\(Self.mac) "), "eth0 lost its name or the Xen MAC:\n\(tail)")
            #expect(log.contains("swaps=/dev/vdb1 "), "the swap on the second disk is not active:\n\(tail)")

            // libvirt's own view: one virtio NIC on br0 with the Xen MAC.
            let interfaces = try await libvirt.virsh(["domiflist", Self.name])
            let nic = interfaces.stdout.split(whereSeparator: \.isNewline).filter { $0.contains(Self.mac) }
            #expect(nic.count == 1 && nic[0].contains("br0") && nic[0].contains("virtio"), "\(interfaces.stdout)")
            let state = try await libvirt.virsh(["domstate", Self.name])
            #expect(state.stdout.contains("shut off"), "\(state.stdout)\(state.stderr)")

            let undefined = try await libvirt.virsh(["undefine", Self.name])
            #expect(undefined.succeeded, "\(undefined.stderr)")
            #expect(try await libvirt.domains() == [], "domains left defined")
        }

        #expect([try await sha256(root), try await sha256(swap)] == before, "the sources are never written")
        for image in [root, swap, "\(storage)/\(Self.name)-xvda1.img", "\(storage)/\(Self.name)-xvdb1.img"] {
            let attached = try await Command.check("losetup", ["-j", image])
            #expect(attached.stdout.isEmpty, "\(image) is still attached: \(attached.stdout)")
        }
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(dir.path), "something under \(dir.path) is still mounted")
        #expect(Self.machineCgroups().isSubset(of: cgroupsBefore), "libvirt made cgroups on the host")
        print("LibvirtMigrationTests: \(clock.now - began) in all")
    }

    /// The private libvirtd is stopped on every path: a test that throws with a domain still
    /// running leaves no QEMU, no domain and no daemon behind.
    @Test(.requires(root: true, tools: PrivateLibvirt.tools))
    func aFailingTestLeavesNothingRunning() async throws {
        struct Thrown: Error {
            var libvirt: PrivateLibvirt
            var qemu: Int32
        }
        let dir = try TemporaryDirectory(prefix: "xen2kvm-libvirt-left")
        let disk = dir.file("blank.img")
        try await Command.check("truncate", ["-s", "1M", disk])
        let xml = dir.file("left.xml")
        try """
        <domain type='qemu'>
          <name>left</name>
          <memory unit='MiB'>32</memory>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='raw'/>
              <source file='\(disk)'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>
          </devices>
        </domain>

        """.write(toFile: xml, atomically: false, encoding: .utf8)
        let thrown = await #expect(throws: Thrown.self) {
            try await PrivateLibvirt.with(bridges: ["br0"]) { libvirt in
                for step in [["define", xml], ["start", "left"]] {
                    let run = try await libvirt.virsh(step)
                    #expect(run.succeeded, "\(run.stderr)")
                }
                let pid = try String(contentsOfFile: libvirt.directory.file("run/qemu/left.pid"), encoding: .utf8)
                throw Thrown(libvirt: libvirt, qemu: Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
            }
        }
        let left = try #require(thrown)
        #expect(left.qemu > 1 && kill(left.qemu, 0) != 0, "QEMU \(left.qemu) is still running")
        #expect(left.libvirt.daemonsGone, "libvirtd or virtlogd is still running")
        let definition = left.libvirt.directory.file("etc/qemu/left.xml")
        #expect(!FileManager.default.fileExists(atPath: definition), "the domain is still defined")
    }

    /// The `machine` cgroups of the host's hierarchies (libvirt's, when it can see them).
    static func machineCgroups() -> Set<String> {
        let hierarchies = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        return Set(
            hierarchies.map { "/sys/fs/cgroup/\($0)/machine" }.filter { FileManager.default.fileExists(atPath: $0) })
    }

    /// The case C root as a bare ext4 image with its fstab's UUID, plus the console report unit.
    static func rootImage(in dir: TemporaryDirectory, at image: String) async throws -> String {
        let made = try await Command.check("\(Fixtures.packageRoot)/scripts/make-debian-guest", ["gpt-swap"])
        let tree = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let uuid = try String(contentsOfFile: "\(tree).uuid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", "-U", uuid, "-d", tree, image, "2G"])
        try Self.report.write(toFile: dir.file("check.sh"), atomically: false, encoding: .utf8)
        try Self.unit.write(toFile: dir.file("check.service"), atomically: false, encoding: .utf8)
        try Self.network.write(toFile: dir.file("10-eth0.network"), atomically: false, encoding: .utf8)
        let unit = "/etc/systemd/system/xen2kvm-check.service"
        for request in [
            "write \(dir.file("check.sh")) /etc/xen2kvm-check.sh",
            "write \(dir.file("check.service")) \(unit)",
            "write \(dir.file("10-eth0.network")) /etc/systemd/network/10-eth0.network",
            "symlink /etc/systemd/system/multi-user.target.wants/xen2kvm-check.service \(unit)",
        ] {
            try await Command.check("debugfs", ["-w", "-R", request, image])
        }
        return image
    }

    /// The serial log's text once it shows a login prompt; it stops early when the domain is no
    /// longer running, and at the timeout.
    static func waitForLogin(_ path: String, libvirt: PrivateLibvirt, seconds: Int) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var text = ""
        while ContinuousClock.now < deadline {
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? text
            if text.contains("login:") { return text }
            let state = try await libvirt.virsh(["domstate", name])
            if !state.stdout.contains("running") { return text + "\n[domain \(state.stdout)\(state.stderr)]" }
            try await Task.sleep(for: .seconds(2))
        }
        return text + "\n[no login prompt after \(seconds) s]"
    }
}

/// The end of a console log, for failure messages.
enum ConsoleLines {
    static func tail(_ console: String) -> String {
        console.split(whereSeparator: \.isNewline).suffix(30).joined(separator: "\n")
    }
}
