// swift-tools-version: 6.2
import PackageDescription

// The products of the dependencies below, named once for the targets that use them.
let systemPackage = Target.Dependency.product(name: "SystemPackage", package: "swift-system")
let subprocess = Target.Dependency.product(name: "Subprocess", package: "swift-subprocess")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "xen2kvm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "xen2kvm", targets: ["xen2kvm"]),
        .executable(name: "xen2kvm-sandbox", targets: ["xen2kvm-sandbox"]),
        .library(name: "PartitionTable", targets: ["PartitionTable"]),
        .library(name: "ExtFS", targets: ["ExtFS"]),
        .library(name: "BlockProbe", targets: ["BlockProbe"]),
        .library(name: "Inspection", targets: ["Inspection"]),
        .library(name: "Conversion", targets: ["Conversion"]),
        .library(name: "GuestFixes", targets: ["GuestFixes"]),
        .library(name: "GuestSession", targets: ["GuestSession"]),
        .library(name: "BootCheck", targets: ["BootCheck"]),
        .library(name: "XenDefinition", targets: ["XenDefinition"]),
        .library(name: "Migration", targets: ["Migration"]),
        .library(name: "Fleet", targets: ["Fleet"]),
        .library(name: "Remote", targets: ["Remote"]),
        .library(name: "X2KStream", targets: ["X2KStream"]),
        .library(name: "X2K", targets: ["X2K"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // System libraries (Debian: libext2fs-dev, libblkid-dev, zlib1g-dev, liblzma-dev, libzstd-dev,
        // libxml2-dev).
        .systemLibrary(
            name: "CExt2fs", pkgConfig: "ext2fs",
            providers: [.apt(["libext2fs-dev", "comerr-dev"])]),
        .systemLibrary(
            name: "CBlkid", pkgConfig: "blkid",
            providers: [.apt(["libblkid-dev"])]),
        .systemLibrary(
            name: "CDecompress",
            providers: [.apt(["zlib1g-dev", "liblzma-dev", "libzstd-dev"])]),
        .systemLibrary(
            name: "CLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]),

        // Linux I/O calls glibc hides behind _GNU_SOURCE (copy_file_range, SEEK_DATA).
        .target(name: "CLinuxIO"),

        // Pure Swift: MBR and GPT writer/reader and the disk geometry.
        .target(name: "PartitionTable", dependencies: [systemPackage]),
        // libext2fs: superblock facts, used-block runs, guest file reads.
        .target(name: "ExtFS", dependencies: ["CExt2fs", systemPackage]),
        // libblkid: what an image or block device holds.
        .target(name: "BlockProbe", dependencies: ["CBlkid", systemPackage]),
        // Guest facts (distro, kernels, bootloader, fstab) and findings.
        .target(
            name: "Inspection",
            dependencies: ["ExtFS", "BlockProbe", "PartitionTable", "CDecompress", "HostSystem"]),
        // The host side: tools, loop devices, mounts, device identity, signals.
        .target(name: "HostSystem", dependencies: ["CLinuxIO", systemPackage, subprocess, logging]),
        // Plan → copy → verify → partition table last.
        .target(
            name: "Conversion",
            dependencies: [
                "Inspection", "ExtFS", "BlockProbe", "PartitionTable", "CLinuxIO", "HostSystem", systemPackage,
                subprocess,
            ]),
        // Guest edits (fstab, grub, console, …), each a small named unit, on a guest root
        // opened with openat2(RESOLVE_IN_ROOT).
        .target(
            name: "GuestFixes",
            dependencies: ["Inspection", "ExtFS", "CLinuxIO", "GuestSession", "HostSystem", systemPackage]),
        // A converted disk opened for guest work: loop device, BLKPG partitions, mounts,
        // private /dev, guest programs in namespaces, teardown on every path.
        .target(
            name: "GuestSession",
            dependencies: ["HostSystem", "PartitionTable", "ExtFS", "CLinuxIO", systemPackage, subprocess]),
        // The launcher every guest program runs in (C: it forks and unshares before anything
        // else, which a threaded Swift process cannot): user namespace, idmapped guest root,
        // pivot_root, seccomp, limits. GuestSession finds it beside the running binary.
        .executableTarget(name: "xen2kvm-sandbox", dependencies: ["CLinuxIO"], path: "Sources/GuestSandbox"),
        // Boot a disk under QEMU on a snapshot and follow the serial console.
        .target(name: "BootCheck", dependencies: ["HostSystem", "Inspection", subprocess]),
        // A Xen guest's definition (xl.cfg, xm config, `xl -N` JSON, libvirt Xen XML) read into
        // one model, its blockers, and the KVM device map derived from it.
        .target(name: "XenDefinition", dependencies: ["Inspection", "CLibXML2"]),
        // A whole guest: its definition's disks planned and converted, the root fixed once with
        // the device map, the KVM libvirt domain XML written and validated; from a Xen host over
        // ssh (Remote) as from local files.
        .target(
            name: "Migration",
            dependencies: [
                "XenDefinition", "Conversion", "GuestFixes", "BlockProbe", "BootCheck", "HostSystem", "Inspection",
                "Remote", "X2K", "X2KStream", systemPackage,
            ]),
        // Many guests from a manifest: planned together (readiness), run N at a time, each
        // guest's phases and their inputs' fingerprints in a state directory, one lock per guest.
        .target(
            name: "Fleet",
            dependencies: [
                "Migration", "XenDefinition", "Conversion", "GuestFixes", "HostSystem", "Inspection", "Remote",
                "BootCheck",
            ]),
        // A remote source (ssh://root@xen1/dev/vg0/web01): one ssh connection, a read-only
        // probe, the e2image or dd stream received into a sparse staging file.
        .target(name: "Remote", dependencies: ["Conversion", "HostSystem", systemPackage, subprocess]),
        // The CLI: parsing and printing only.
        .executableTarget(
            name: "xen2kvm",
            dependencies: [
                "Inspection", "Conversion", "ExtFS", "BlockProbe", "HostSystem", "GuestFixes", "GuestSession",
                "BootCheck", "XenDefinition", "Migration", "Fleet", "Remote", "X2K", argumentParser, logging,
            ]),

        .target(
            name: "TestSupport",
            dependencies: ["ExtFS", subprocess, systemPackage],
            path: "Tests/TestSupport"),
        .testTarget(name: "PartitionTableTests", dependencies: ["PartitionTable", "TestSupport"]),
        .testTarget(name: "ExtFSTests", dependencies: ["ExtFS", "TestSupport"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "TestSupport"]),
        .testTarget(
            name: "ConversionTests", dependencies: ["Conversion", "PartitionTable", "ExtFS", "TestSupport", "xen2kvm"]),
        .testTarget(name: "GuestFixesTests", dependencies: ["GuestFixes", "Inspection", "TestSupport", "xen2kvm"]),
        .testTarget(
            name: "GuestSessionTests",
            dependencies: ["GuestSession", "TestSupport", "Conversion", "xen2kvm", "xen2kvm-sandbox"]),
        .testTarget(name: "BootCheckTests", dependencies: ["BootCheck", "TestSupport"]),
        .testTarget(
            name: "XenDefinitionTests", dependencies: ["XenDefinition", "Inspection", "TestSupport"],
            // Read by path (Fixtures.packageRoot), not as bundle resources.
            exclude: ["Goldens"]),
        .testTarget(
            name: "MigrationTests",
            dependencies: ["Migration", "XenDefinition", "Conversion", "TestSupport", "xen2kvm"],
            exclude: ["Goldens"]),
        .testTarget(
            name: "FleetTests", dependencies: ["Fleet", "Migration", "TestSupport", "xen2kvm"], exclude: ["Goldens"]),
        .testTarget(name: "CLITests", dependencies: ["xen2kvm", "TestSupport"]),
        .testTarget(name: "RemoteTests", dependencies: ["Remote", "Conversion", "TestSupport", "xen2kvm"]),
        // The test environment's own rules (the .requires trait: skipped here, failed in CI).
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
        .testTarget(name: "HostSystemTests", dependencies: ["HostSystem", "TestSupport", logging]),
        // The x2k transport's stream: framed, checksummed records (header, data, zero range,
        // checkpoint, end), an encoder and a decoder that enforces the rules. Pure Swift but
        // zlib's CRC-32.
        .target(name: "X2KStream", dependencies: ["CDecompress"]),
        // The x2k transport: `xen2kvm send` on the Xen host (contained like the image parser),
        // and the KVM side that writes the stream into the target, checkpoints and resumes.
        .target(
            name: "X2K",
            dependencies: [
                "X2KStream", "Remote", "Conversion", "HostSystem", "CDecompress", "CLinuxIO", systemPackage,
            ]),
        .testTarget(name: "X2KStreamTests", dependencies: ["X2KStream"]),
    ]
)
