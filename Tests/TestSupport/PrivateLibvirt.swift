import Foundation

/// A libvirtd of the test's own: qemu:///system with TCG, reached only through a socket in a
/// temporary directory, so a test never touches a host-wide libvirtd and two runs never share
/// one.
///
/// `virtlogd -d` and `libvirtd -d` run in a mount and network namespace made for them
/// (`unshare --mount --net`): libvirt's system paths (/etc/libvirt, /run/libvirt,
/// /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt, fixed at build time for
/// qemu:///system) are bind mounts of the temporary directory there, so the defined domains,
/// the daemons' sockets, pid files and logs are the test's; the bridges a domain names are made
/// in that network namespace, so its taps and any traffic stay inside. No systemd here and
/// cgroup v1 controllers without it: Debian's default qemu.conf does start a domain, but
/// libvirt then makes `machine` cgroups in the host's hierarchies; here /sys/fs/cgroup is an
/// empty tmpfs in the namespace and `cgroup_controllers = [ ]`, so none is made. QEMU runs as
/// root with files left as they are (the test's images are in 0700 temporary directories),
/// no security driver, no per-domain /dev namespace.
///
/// `with` stops it on every path: every domain destroyed and undefined, any QEMU left killed
/// by the pid libvirt wrote, then libvirtd and virtlogd killed by pid.
public final class PrivateLibvirt: Sendable {
    public let directory: TemporaryDirectory
    /// `qemu+unix:///system?socket=…`: what `virsh -c` and `xen2kvm migrate --define` take.
    public let uri: String
    let libvirtdPid: Int32
    let virtlogdPid: Int32

    /// What the daemons and the private mounts need; apt: libvirt-daemon-system, iproute2.
    public static let tools = ["libvirtd", "virtlogd", "virsh", "unshare", "ip", "mount", "qemu-system-x86_64"]

    /// The host's /var/log/libvirt as libvirtd sees it: the domain logs and serial logs written
    /// to /var/log/libvirt/qemu are here.
    public var logDirectory: String { directory.file("log") }

    /// The console log `DomainXML` names for a domain (/var/log/libvirt/qemu/NAME-serial0.log).
    public func serialLog(of domain: String) -> String { directory.file("log/qemu/\(domain)-serial0.log") }

    /// Starts one, with these bridges (up) in its network namespace, runs `body`, and stops it
    /// whether `body` returned or threw.
    public static func with<T: Sendable>(
        bridges: [String], _ body: (PrivateLibvirt) async throws -> T
    ) async throws -> T {
        let libvirt = try await start(bridges: bridges)
        do {
            let result = try await body(libvirt)
            try await libvirt.stop()
            return result
        } catch {
            try? await libvirt.stop()
            throw error
        }
    }

    private init(directory: TemporaryDirectory, libvirtd: Int32, virtlogd: Int32) {
        self.directory = directory
        self.uri = "qemu+unix:///system?socket=\(directory.file("sock/libvirt-sock"))"
        self.libvirtdPid = libvirtd
        self.virtlogdPid = virtlogd
    }

    static let mounts = [
        ("etc", "/etc/libvirt"), ("run", "/run/libvirt"), ("lib", "/var/lib/libvirt"),
        ("log", "/var/log/libvirt"), ("cache", "/var/cache/libvirt"),
    ]

    static func start(bridges: [String]) async throws -> PrivateLibvirt {
        let dir = try TemporaryDirectory(prefix: "xen2kvm-libvirt")
        for sub in ["etc", "run", "lib/qemu", "log/qemu", "cache/qemu", "sock"] {
            try FileManager.default.createDirectory(atPath: dir.file(sub), withIntermediateDirectories: true)
        }
        try """
        unix_sock_dir = "\(dir.file("sock"))"
        unix_sock_rw_perms = "0700"
        auth_unix_rw = "none"
        auth_unix_ro = "none"
        log_outputs = "3:file:\(dir.file("libvirtd.log"))"

        """.write(toFile: dir.file("etc/libvirtd.conf"), atomically: false, encoding: .utf8)
        // No cgroups (see above), no security driver, no per-domain /dev namespace, QEMU as root
        // with files left as they are.
        try """
        user = "root"
        group = "root"
        dynamic_ownership = 0
        remember_owner = 0
        security_driver = "none"
        cgroup_controllers = [ ]
        namespaces = [ ]

        """.write(toFile: dir.file("etc/qemu.conf"), atomically: false, encoding: .utf8)
        try "log_outputs = \"3:file:\(dir.file("virtlogd.log"))\"\n".write(
            toFile: dir.file("etc/virtlogd.conf"), atomically: false, encoding: .utf8)

        var script = releaseScratchMounts + "\nset -e\n"
        for (sub, point) in mounts {
            // The mount points libvirt-daemon-system made; created (empty) if it did not.
            script += "mkdir -p \(point) && mount --bind \(dir.file(sub)) \(point)\n"
        }
        // libvirt makes machine cgroups in the host's hierarchies even with no controllers
        // configured: a tmpfs hides them, so it finds none and makes none.
        script += "mount -t tmpfs -o mode=0755 xen2kvm-no-cgroups /sys/fs/cgroup\n"
        script += "ip link set lo up\n"
        for bridge in bridges { script += "ip link add \(bridge) type bridge && ip link set \(bridge) up\n" }
        script += """
            virtlogd -d -f /etc/libvirt/virtlogd.conf -p \(dir.file("virtlogd.pid"))
            libvirtd -d -f /etc/libvirt/libvirtd.conf -p \(dir.file("libvirtd.pid"))

            """
        let setup = try await Command.run(
            "unshare", ["--mount", "--net", "--propagation", "private", "sh", "-c", script])
        // Whatever started is stopped, even when the setup failed half way.
        let virtlogd = try? await waitForPid(dir.file("virtlogd.pid"))
        let libvirtd = try? await waitForPid(dir.file("libvirtd.pid"))
        guard setup.succeeded, let virtlogd, let libvirtd else {
            for pid in [libvirtd, virtlogd].compactMap({ $0 }) { await terminate(pid) }
            let log = (try? String(contentsOfFile: dir.file("libvirtd.log"), encoding: .utf8)) ?? ""
            throw LibvirtError(
                "the private libvirtd did not start (exit \(setup.status)): \(setup.stderr)\(setup.stdout)\(log)")
        }
        let libvirt = PrivateLibvirt(directory: dir, libvirtd: libvirtd, virtlogd: virtlogd)
        // libvirtd has forked: its socket comes once its drivers are up.
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let probe = try await libvirt.virsh(["version"])
            if probe.succeeded { break }
            guard ContinuousClock.now < deadline else {
                try? await libvirt.stop()
                throw LibvirtError("libvirtd answers no connection on \(libvirt.uri): \(probe.stderr)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return libvirt
    }

    /// `virsh -c URI ARGS`.
    public func virsh(_ arguments: [String]) async throws -> CommandResult {
        try await Command.run("virsh", ["-c", uri] + arguments)
    }

    /// Every domain's name, defined or running.
    public func domains() async throws -> [String] {
        let listed = try await virsh(["list", "--all", "--name"])
        guard listed.succeeded else { throw LibvirtError("virsh list: \(listed.stderr)") }
        return listed.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }

    /// Destroys and undefines what is left, kills any QEMU libvirt lost, then the daemons.
    func stop() async throws {
        var leftovers: [String] = []
        if let names = try? await domains() {
            for name in names {
                leftovers.append(name)
                _ = try? await virsh(["destroy", name])
                _ = try? await virsh(["undefine", "--nvram", name])
            }
        }
        // QEMU outlives libvirtd: a domain libvirt could not destroy dies by the pid it wrote.
        let qemuRun = directory.file("run/qemu")
        for file in (try? FileManager.default.contentsOfDirectory(atPath: qemuRun)) ?? [] where file.hasSuffix(".pid") {
            if file == "driver.pid" { continue }
            if let text = try? String(contentsOfFile: "\(qemuRun)/\(file)", encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                // Only a QEMU: a stale pid file may name a pid reused since.
                (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("qemu") == true
            {
                await Self.terminate(pid, signal: SIGKILL)
            }
        }
        // Both at once: each takes a second or two to exit.
        async let libvirtd: Void = Self.terminate(libvirtdPid)
        async let virtlogd: Void = Self.terminate(virtlogdPid)
        _ = await (libvirtd, virtlogd)
        if !leftovers.isEmpty { throw LibvirtError("domains left defined: \(leftovers.joined(separator: ", "))") }
    }

    /// Whether the daemons are gone (after `with`).
    public var daemonsGone: Bool { kill(libvirtdPid, 0) != 0 && kill(virtlogdPid, 0) != 0 }

    /// SIGTERM (or `signal`), up to 10 s to exit, then SIGKILL. Not our children (they
    /// daemonized), so "gone" is kill(pid, 0) failing.
    static func terminate(_ pid: Int32, signal: Int32 = SIGTERM) async {
        guard pid > 1, kill(pid, signal) == 0 else { return }
        for _ in 0..<100 {
            if kill(pid, 0) != 0 { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGKILL)
    }

    static func waitForPid(_ file: String) async throws -> Int32 {
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
            {
                return pid
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LibvirtError("no pid in \(file)")
    }
}

public struct LibvirtError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
