import Foundation
import Inspection
import TestSupport
import Testing

/// Golden facts for every fixture guest, read from a real ext image built with `mke2fs -d`.
/// The expected values are the ones Fixtures/README.md documents.
@Suite struct FixtureGuestTests {
    struct Expected: Sendable, CustomStringConvertible {
        var fixture: String
        var fsType: String
        var distro: String
        var version: String
        var bootloader: String
        /// version → (xenOnly, virtio, initrdHasVirtio)
        var kernels: [String: (Bool, Bool, Bool?)]
        var fstabDevices: [String]
        var codes: Set<String>
        var absentCodes: Set<String> = []
        var readiness: Readiness = .fixable
        var extraOptions: [String] = []
        var description: String { fixture }
    }

    static let guests: [Expected] = [
        Expected(
            fixture: "centos5", fsType: "ext3", distro: "centos", version: "5.11", bootloader: "grub-legacy",
            kernels: ["2.6.18-419.el5xen": (true, false, false), "2.6.18-419.el5": (false, true, false)],
            fstabDevices: ["/dev/xvda1", "tmpfs", "devpts", "sysfs", "proc", "/dev/xvda2"],
            codes: [
                "xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "xen-console-getty",
                "grub-partitionless-root", "default-kernel-xen", "defaultkernel-xen", "xen-module-alias",
                "no-virtio-in-initrd", "selinux-relabel", "network-hwaddr", "stale-device-cache",
                "xen-kernel-present",
            ],
            absentCodes: ["only-xen-kernels", "xencons-option", "grub2-needs-1mib-start"]),
        Expected(
            fixture: "centos6", fsType: "ext4", distro: "centos", version: "6.10", bootloader: "grub-legacy",
            kernels: ["2.6.32-754.35.1.el6.x86_64": (false, true, false)],
            fstabDevices: ["/dev/xvda1", "tmpfs", "devpts", "sysfs", "proc", "/dev/xvdb1"],
            codes: [
                "xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "xencons-option", "xen-console-getty",
                "grub-partitionless-root", "no-virtio-in-initrd", "selinux-relabel", "network-hwaddr",
                "persistent-net-rules",
            ],
            absentCodes: [
                "xen-kernel-present", "default-kernel-xen", "defaultkernel-xen", "xen-module-alias", "interface-names",
            ]),
        Expected(
            fixture: "centos7", fsType: "ext4", distro: "centos", version: "7.9.2009", bootloader: "grub2",
            kernels: [
                "3.10.0-1160.el7.x86_64": (false, true, false),
                "0-rescue-4f8c2a9d1b6e47c3a05d9e2f7b18c6a4": (false, false, true),
            ],
            fstabDevices: ["UUID=6b1f0c4e-2d7a-4e39-9a51-8c3f2e7d1b90", "/dev/xvdb1"],
            codes: [
                "xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "xen-console-getty",
                "no-virtio-in-initrd", "selinux-relabel", "network-hwaddr", "grub2-needs-1mib-start",
                "interface-names",
            ],
            absentCodes: ["grub-partitionless-root", "xencons-option", "xen-kernel-present"],
            extraOptions: ["-U", "6b1f0c4e-2d7a-4e39-9a51-8c3f2e7d1b90"]),
        Expected(
            fixture: "debian12-grub2", fsType: "ext4", distro: "debian", version: "12.7", bootloader: "grub2",
            kernels: ["6.1.0-26-amd64": (false, true, true)],
            fstabDevices: ["/dev/xvda1", "/dev/xvda2", "/dev/mapper/data_crypt"],
            codes: [
                "xvd-in-fstab", "xvd-in-device-config", "xvd-in-kernel-cmdline", "xen-console",
                "xen-console-getty", "grub2-needs-1mib-start", "interface-names",
            ],
            absentCodes: ["no-virtio-in-initrd", "selinux-relabel", "network-hwaddr", "initrd-unreadable"]),
        Expected(
            fixture: "debian-pygrub-legacy", fsType: "ext3", distro: "debian", version: "7.11",
            bootloader: "grub-legacy",
            kernels: ["3.2.0-6-amd64": (false, true, false)],
            fstabDevices: ["proc", "/dev/xvda1", "/dev/xvdb"],
            codes: [
                "xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "xen-console-getty",
                "grub-partitionless-root", "no-virtio-in-initrd",
            ],
            absentCodes: ["grub2-needs-1mib-start", "selinux-relabel", "interface-names"]),
        // The families with a profile of their own since issue 11: BLS entries, grubenv and
        // /etc/kernel/cmdline count as command lines; SUSE's initrd-VER, Arch's vmlinuz-linux.
        Expected(
            fixture: "rocky9", fsType: "ext4", distro: "rocky", version: "9.3", bootloader: "grub2",
            kernels: ["5.14.0-362.8.1.el9_3.x86_64": (false, true, false)],
            fstabDevices: ["/dev/xvda1", "/dev/xvdb1"],
            codes: [
                "xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "no-virtio-in-initrd", "selinux-relabel",
                "grub2-needs-1mib-start",
            ]),
        Expected(
            fixture: "fedora", fsType: "ext4", distro: "fedora", version: "33", bootloader: "grub2",
            kernels: [
                "5.8.15-301.fc33.x86_64": (false, true, false), "5.14.18-100.fc33.x86_64": (false, true, false),
            ],
            fstabDevices: ["/dev/xvda1", "/dev/xvdb1"],
            codes: ["xvd-in-fstab", "xvd-in-kernel-cmdline", "no-virtio-in-initrd", "grub2-needs-1mib-start"],
            absentCodes: ["xen-console", "interface-names"]),
        Expected(
            fixture: "opensuse", fsType: "ext4", distro: "opensuse-leap", version: "15.5", bootloader: "grub2",
            kernels: ["5.14.21-150500.55.39-default": (false, true, false)],
            fstabDevices: ["/dev/xvda1", "/dev/xvdb1"],
            codes: ["xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "no-virtio-in-initrd"]),
        Expected(
            fixture: "sles11", fsType: "ext3", distro: "sles", version: "11.4", bootloader: "grub-legacy",
            kernels: ["3.0.101-63-xen": (true, false, false), "3.0.101-63-default": (false, true, false)],
            fstabDevices: ["/dev/xvda1", "/dev/xvdb1", "proc"],
            codes: [
                "xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "xen-console-getty", "default-kernel-xen",
                "grub-partitionless-root", "xen-kernel-present", "no-virtio-in-initrd",
            ],
            absentCodes: ["grub2-needs-1mib-start", "distro-unknown"]),
        Expected(
            fixture: "arch", fsType: "ext4", distro: "arch", version: "", bootloader: "grub2",
            kernels: ["6.6.8-arch1-1": (false, true, false)], fstabDevices: ["/dev/xvda1"],
            codes: ["xvd-in-fstab", "xvd-in-kernel-cmdline", "xen-console", "no-virtio-in-initrd"],
            absentCodes: ["no-virtio-driver"]),
        Expected(
            fixture: "ubuntu-pvgrub", fsType: "ext4", distro: "ubuntu", version: "16.04", bootloader: "grub2",
            kernels: ["4.4.0-210-generic": (false, true, true)], fstabDevices: ["LABEL=cloudimg-rootfs"],
            codes: ["xen-console", "grub-partitionless-root", "grub2-needs-1mib-start", "interface-names"],
            absentCodes: ["xvd-in-fstab", "no-virtio-in-initrd"]),
    ]

    @Test(.requires(tools: ["mke2fs", "sha256sum"]), arguments: guests)
    func inspectionMatchesTheFixture(expected: Expected) async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("\(expected.fixture).img")
        try await Fixtures.makeImage(
            from: Fixtures.tree(expected.fixture), at: image, type: expected.fsType, size: "64M",
            extraOptions: expected.extraOptions)
        let before = try await sha256(image)

        let report = try Inspector.inspect(image)

        #expect(report.source.type == expected.fsType)
        #expect(report.source.partitionTable == nil)
        #expect(report.filesystem?.type == expected.fsType)
        #expect(report.filesystem?.state == .clean)
        let guest = try #require(report.guest)
        #expect(guest.distro == expected.distro)
        #expect(guest.version == expected.version)
        #expect(guest.bootloader.rawValue == expected.bootloader)
        #expect(Set(guest.kernels.map(\.version)) == Set(expected.kernels.keys))
        for kernel in guest.kernels {
            guard let (xenOnly, virtio, initrd) = expected.kernels[kernel.version] else { continue }
            #expect(kernel.xenOnly == xenOnly, "\(kernel.version) xenOnly")
            #expect(kernel.virtio == virtio, "\(kernel.version) virtio")
            #expect(kernel.initrdHasVirtio == initrd, "\(kernel.version) initrd \(kernel.initrdProblem ?? "")")
        }
        #expect(guest.fstab.map(\.device) == expected.fstabDevices)
        let codes = Set(report.findings.map(\.code))
        #expect(expected.codes.subtracting(codes).isEmpty, "missing \(expected.codes.subtracting(codes))")
        #expect(
            expected.absentCodes.intersection(codes).isEmpty, "unexpected \(expected.absentCodes.intersection(codes))")
        #expect(report.readiness == expected.readiness)
        #expect(try await sha256(image) == before, "inspect changed the source image")
    }

    /// Findings name the file they are about, so the operator knows where to look.
    @Test(.requires(tools: ["mke2fs"]))
    func findingsNameTheirFiles() async throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("centos6.img")
        try await Fixtures.makeImage(from: Fixtures.tree("centos6"), at: image)
        let report = try Inspector.inspect(image)
        let console = try #require(report.findings.first { $0.code == "xen-console" })
        #expect(console.message.contains("/boot/grub/menu.lst:11"))
        #expect(console.message.contains("console=hvc0"))
        let fstab = report.findings.filter { $0.code == "xvd-in-fstab" }
        #expect(fstab.contains { $0.message.contains("/etc/fstab:8") && $0.message.contains("/dev/vda1") })
        #expect(fstab.contains { $0.message.contains("/dev/xvdb1") && $0.message.contains("/dev/vdb1") })
    }

    /// A guest that has nothing but a Xen kernel is blocked with the package to install.
    @Test(.requires(tools: ["mke2fs"]))
    func onlyXenKernelsIsABlocker() async throws {
        let dir = try TemporaryDirectory()
        let tree = dir.file("tree")
        try FileManager.default.copyItem(atPath: Fixtures.tree("centos5"), toPath: tree)
        for name in ["vmlinuz-2.6.18-419.el5", "config-2.6.18-419.el5", "initrd-2.6.18-419.el5.img"] {
            try FileManager.default.removeItem(atPath: "\(tree)/boot/\(name)")
        }
        let image = dir.file("xen-only.img")
        try await Fixtures.makeImage(from: tree, at: image, type: "ext3")
        let report = try Inspector.inspect(image)
        #expect(report.readiness == .blocked)
        let blocker = try #require(report.findings.first { $0.code == "only-xen-kernels" })
        #expect(blocker.severity == .blocker)
        #expect(blocker.message.contains("yum install kernel"))
        #expect(!report.findings.contains { $0.code == "default-kernel-xen" })
    }
}
