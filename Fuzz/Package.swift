// swift-tools-version: 6.2
import PackageDescription

// libFuzzer harnesses for what xen2kvm reads from untrusted guest disks. A package of its own,
// built only by scripts/fuzz (`swift build --sanitize=fuzzer`), so the normal build and tests
// never compile them; it uses the main package's libraries by path.
let package = Package(
    name: "xen2kvm-fuzz",
    dependencies: [.package(name: "xen2kvm", path: "..")],
    targets: [
        // MBR and GPT from the bytes of a disk.
        .executableTarget(
            name: "FuzzPartitionTable",
            dependencies: [.product(name: "PartitionTable", package: "xen2kvm")]),
        // cpio archives, plain and compressed (zlib, liblzma, libzstd).
        .executableTarget(
            name: "FuzzInitrd", dependencies: [.product(name: "Inspection", package: "xen2kvm")]),
        // A guest in memory, its files cut from the input.
        .target(
            name: "FuzzGuestFiles",
            dependencies: [
                .product(name: "Inspection", package: "xen2kvm"),
                .product(name: "ExtFS", package: "xen2kvm"),
            ]),
        // The guest text parsers, on an in-memory guest.
        .executableTarget(
            name: "FuzzGuestConfig",
            dependencies: ["FuzzGuestFiles", .product(name: "Inspection", package: "xen2kvm")]),
        // The text edits of `xen2kvm fix`, on what those parsers read.
        .executableTarget(
            name: "FuzzGuestEdits",
            dependencies: [
                "FuzzGuestFiles",
                .product(name: "Inspection", package: "xen2kvm"),
                .product(name: "GuestFixes", package: "xen2kvm"),
            ]),
        // A whole image through libblkid, libext2fs and the inspection.
        .executableTarget(
            name: "FuzzImage",
            dependencies: [
                .product(name: "Inspection", package: "xen2kvm"),
                .product(name: "ExtFS", package: "xen2kvm"),
            ]),
        // Xen definitions (xl/xm grammars, `xl -N` JSON, libvirt XML): migrate --from reads them
        // over ssh.
        .executableTarget(
            name: "FuzzXenDefinition", dependencies: [.product(name: "XenDefinition", package: "xen2kvm")]),
        // The x2k stream the KVM side decodes.
        .executableTarget(
            name: "FuzzX2KStream", dependencies: [.product(name: "X2KStream", package: "xen2kvm")]),
    ]
)
