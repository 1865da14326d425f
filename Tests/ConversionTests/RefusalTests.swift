import Conversion
import ExtFS
import Foundation
import TestSupport
import Testing

/// Every refusal happens before a byte is written, names what to do, and holds in both
/// places an operator meets it: the library (a failed plan check, or a `.refused` the planner
/// throws; the converter refuses such a plan too) and the CLI (exit 2, the reason on stderr,
/// an existing target unchanged, a new target never created).
@Suite struct RefusalTests {
    /// `xen2kvm convert ARGUMENTS`.
    static func cli(_ arguments: [String]) async throws -> CommandResult {
        try await Xen2KVMBinary.run(["convert"] + arguments)
    }

    /// Expects the CLI to have refused: exit 2 and every phrase on stderr.
    static func expectRefused(
        _ run: CommandResult, saying phrases: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(
                run.stderr.contains(phrase), "stderr lacks \"\(phrase)\": \(run.stderr)", sourceLocation: sourceLocation
            )
        }
    }

    // MARK: The target is the source

    @Test(.requires(tools: ["mke2fs", "sha256sum"]))
    func targetIsTheSourceByPathLinkOrHardLink() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let before = try await sha256(source)
        let link = dir.file("link.img")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: source)
        let hard = dir.file("hard.img")
        try FileManager.default.linkItem(atPath: source, toPath: hard)

        for target in [source, link, hard] {
            // --force overrides "holds data", never "is the source".
            for force in [false, true] {
                let refusal = Harness.refusal(source, target) { $0.force = force }
                #expect(
                    refusal?.check == "target is not the source",
                    "\(target) force \(force): \(refusal?.description ?? "none")")
                #expect(refusal?.detail.contains("name a different target") == true)
            }
            let plan = try Planner.plan(Harness.options(source, target) { $0.force = true })
            #expect(await Harness.converterRefuses(plan))

            Self.expectRefused(try await Self.cli(["--force", source, target]), saying: ["is the source itself"])
        }
        #expect(try await sha256(source) == before, "a refused run wrote to the source")
    }

    /// Two names for the same bytes: a loop device over the source file, either way round.
    /// The device is writable, so nothing but the check stands between the run and the source.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "sha256sum"]))
    func loopDeviceOverTheSourceIsTheSource() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let before = try await sha256(source)
        try await Harness.withLoopDevice(source) { device in
            let asTarget = Harness.refusal(source, device) { $0.force = true }
            #expect(asTarget?.check == "target is not the source", "\(asTarget?.description ?? "none")")
            let asSource = Harness.refusal(device, source) { $0.force = true }
            #expect(asSource?.check == "target is not the source", "\(asSource?.description ?? "none")")
            Self.expectRefused(try await Self.cli(["--force", source, device]), saying: ["is the source itself"])
        }
        #expect(try await sha256(source) == before)
    }

    // MARK: The target holds data

    /// Data libblkid recognises (a filesystem, a bare partition table, swap) is refused
    /// without --force; with it, the run replaces it and leaves no old signature behind.
    @Test(.requires(tools: ["mke2fs", "sfdisk", "mkswap", "blkid", "e2fsck"]), arguments: ["ext4", "mbr", "swap"])
    func targetHoldingDataNeedsForce(content: String) async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("target.img")
        try Harness.sparseFile(target, bytes: 80 << 20)
        let holds: String
        switch content {
        case "ext4":
            try await Command.check("mke2fs", ["-q", "-F", "-t", "ext4", target])
            holds = "ext4"
        case "mbr":
            try await Command.check("sh", ["-c", "echo 'start=2048, type=83' | sfdisk -q \(target)"])
            holds = "partition table dos"
        default:
            try await Command.check("mkswap", ["-q", target])
            holds = "swap"
        }
        let before = try await sha256(target)

        let refusal = Harness.refusal(source, target)
        #expect(refusal?.check == "target holds no data", "\(refusal?.description ?? "none")")
        #expect(refusal?.detail.contains(holds) == true, "\(refusal?.detail ?? "")")
        #expect(refusal?.detail.contains("--force") == true)
        let refusedPlan = try Planner.plan(Harness.options(source, target))
        #expect(await Harness.converterRefuses(refusedPlan))
        Self.expectRefused(try await Self.cli([source, target]), saying: ["--force", holds])
        #expect(try await sha256(target) == before, "a refused run wrote to the target")

        let (plan, result) = try await Harness.convert(source, target) { $0.force = true }
        #expect(plan.method == .blocks)
        #expect(result.fsck?.clean == true)
        #expect(Harness.fileSize(target) == 80 << 20)
        let probe = try await Harness.blkid(target)
        #expect(probe["PTTYPE"] == "dos" && probe["TYPE"] == nil, "old signature left: \(probe)")
        let offset = try #require(plan.layout?.partitionOffsetBytes)
        let fsck = try await Command.run("e2fsck", ["-fn", "\(target)?offset=\(offset)"])
        #expect(fsck.status == 0, "\(fsck.stdout)")
        #expect(try Harness.usedData(image: target, offset: offset) == Harness.usedData(image: source))
    }

    // MARK: Too small

    /// A 10 MiB file for a 64 MiB filesystem: blocks says how to fit it (resize), auto picks
    /// resize and refuses because even the smallest filesystem would not fit.
    @Test(.requires(tools: ["mke2fs", "sha256sum"]))
    func existingTargetTooSmall() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir, size: "64M")
        let small = dir.file("small.img")
        try Harness.sparseFile(small, bytes: 10 << 20)
        let before = try await sha256(small)

        let blocks = Harness.refusal(source, small) { $0.method = .blocks }
        #expect(blocks?.check == "target size", "\(blocks?.description ?? "none")")
        #expect(blocks?.detail.contains("--method resize") == true)
        let auto = Harness.refusal(source, small)
        #expect(auto?.check == "filesystem can shrink", "\(auto?.description ?? "none")")
        #expect(auto?.detail.contains("use a target of at least") == true)
        let plan = try Planner.plan(Harness.options(source, small) { $0.method = .blocks })
        #expect(await Harness.converterRefuses(plan))

        Self.expectRefused(try await Self.cli(["--method", "blocks", source, small]), saying: ["--method resize"])
        Self.expectRefused(try await Self.cli([source, small]), saying: ["use a target of at least"])
        #expect(try await sha256(small) == before)
        #expect(Harness.fileSize(small) == 10 << 20)
    }

    @Test(.requires(tools: ["mke2fs"]))
    func targetSizeTooSmall() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir, size: "64M")
        let target = dir.file("kvm.img")

        let blocks = Harness.refusal(source, target) {
            $0.method = .blocks
            $0.targetSize = 32 << 20
        }
        #expect(blocks?.check == "target size", "\(blocks?.description ?? "none")")
        #expect(blocks?.detail.contains("--target-size") == true && blocks?.detail.contains("--method resize") == true)
        // auto shrinks a copy to fit, but not below what resize2fs can reach.
        #expect(Harness.refusal(source, target) { $0.targetSize = 32 << 20 } == nil)
        let auto = Harness.refusal(source, target) { $0.targetSize = 8 << 20 }
        #expect(auto?.check == "filesystem can shrink", "\(auto?.description ?? "none")")

        Self.expectRefused(
            try await Self.cli(["--method", "blocks", "--target-size", "32M", source, target]),
            saying: ["--target-size"])
        Self.expectRefused(
            try await Self.cli(["--target-size", "8M", source, target]), saying: ["use a target of at least"])
        #expect(!Harness.exists(target), "a refused run created the target")
    }

    // MARK: The source

    /// An unclean filesystem is refused, --force or not (that consent is for the target); with
    /// --repair-copy the COPY is repaired and the source keeps its state, byte for byte.
    @Test(.requires(root: true, tools: ["mke2fs", "debugfs", "e2fsck", "sha256sum"]))
    func uncleanSourceNeedsRepairCopyAndOnlyTheCopyIsRepaired() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        try await Command.check("debugfs", ["-w", "-R", "ssv state 0", source])
        let before = try await sha256(source)
        let target = dir.file("kvm.img")

        for force in [false, true] {
            let refusal = Harness.refusal(source, target) { $0.force = force }
            #expect(refusal?.check == "source filesystem clean", "\(refusal?.description ?? "none")")
            #expect(refusal?.detail.contains("--repair-copy") == true)
        }
        Self.expectRefused(try await Self.cli(["--force", source, target]), saying: ["not clean", "--repair-copy"])
        #expect(!Harness.exists(target))

        let (plan, result) = try await Harness.convert(source, target) { $0.repairCopy = true }
        #expect(plan.repairCopy)
        #expect(result.repair != nil)
        #expect(result.repair?.clean == true, "\(result.repair?.output ?? "")")
        #expect(result.fsck?.clean == true)
        let offset = try #require(plan.layout?.partitionOffsetBytes)
        let fsck = try await Command.run("e2fsck", ["-fn", "\(target)?offset=\(offset)"])
        #expect(fsck.status == 0, "\(fsck.stdout)")
        #expect(try ExtFilesystem(path: target, offset: offset).facts().state == .clean)

        let sourceFacts = try ExtFilesystem(path: source).facts()
        #expect(sourceFacts.state == .needsFsck)
        #expect(sourceFacts.stateReasons.contains("not cleanly unmounted"))
        let state = try await Command.check("dumpe2fs", ["-h", source]).stdout
        #expect(state.contains("Filesystem state:         not clean"), "\(state)")
        #expect(try await sha256(source) == before, "the source was repaired")
    }

    /// A guest no helper knows would get its file edits and no initrd or bootloader: a disk that
    /// cannot boot. convert refuses it before writing, unless the operator names a profile, a
    /// host helper, or asks for the edits alone (or no fixes).
    @Test(.requires(root: true, tools: ["mke2fs"]))
    func guestWithoutAProfileIsRefusedUnlessTheOperatorChooses() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.img")
        try await Harness.makeImage(from: try Harness.sampleTree(in: dir), at: source, options: ["-t", "ext4"])
        let target = dir.file("kvm.img")
        Self.expectRefused(
            try await Self.cli(["--dry-run", source, target]),
            saying: ["no guest helper knows the guest's distribution (unknown)", "--profile", "--edits-only"])
        for choice in [["--profile", "debian"], ["--edits-only"], ["--no-fix"], ["--helper", "/bin/true"]] {
            let run = try await Self.cli(["--dry-run"] + choice + [source, target])
            #expect(run.status == 0, "\(choice): \(run.stderr)")
        }
        #expect(!Harness.exists(target))
    }

    /// A live guest's filesystem is refused, --force or not: its copy would not be consistent.
    @Test(.requires(root: true, tools: ["mke2fs", "mount", "umount"]))
    func sourceMountedReadWriteIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("kvm.img")
        try await Harness.withMount(source, options: "loop", in: dir) { point in
            for force in [false, true] {
                let refusal = Harness.refusal(source, target) { $0.force = force }
                #expect(refusal?.check == "source not in use", "force \(force): \(refusal?.description ?? "none")")
                #expect(refusal?.detail.contains(point) == true)
            }
            Self.expectRefused(
                try await Self.cli(["--force", source, target]), saying: ["mounted read-write", "unmount"])
        }
        #expect(!Harness.exists(target))
    }

    /// The disk of a Xen guest that is still running is not mounted on the host: blkback holds
    /// it open exclusively (as does QEMU, or a device-mapper layer). It is refused, --force or
    /// not; once let go, the same device plans fine.
    @Test(.requires(root: true, tools: ["mke2fs", "losetup"]))
    func sourceHeldByAnotherProgramIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("kvm.img")
        try await Harness.withLoopDevice(source) { device in
            // What blkback does with a running guest's disk: an exclusive open.
            let held = open(device, O_RDONLY | O_EXCL | O_CLOEXEC)
            #expect(held >= 0, "cannot hold \(device): \(errno)")
            for force in [false, true] {
                let refusal = Harness.refusal(device, target) { $0.force = force }
                #expect(refusal?.check == "source not in use", "force \(force): \(refusal?.description ?? "none")")
                #expect(refusal?.detail.contains("held open exclusively") == true)
            }
            Self.expectRefused(
                try await Self.cli(["--force", device, target]),
                saying: ["held open exclusively", "shut the guest down"])
            close(held)
            #expect(Harness.refusal(device, target) == nil, "a device nobody holds was refused")
        }
        #expect(!Harness.exists(target))
    }

    /// A disk a running VM uses is locked by its QEMU (OFD byte-range locks on the image, what
    /// `qemu-img` reports as "Is another process using the image?"). As a source it is live; as
    /// a target, writing it would corrupt the VM. Both are refused, --force or not.
    @Test(.requires(tools: ["mke2fs"]))
    func disksLockedByQEMUAreRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let other = try await Harness.fixtureImage("centos5", in: dir, name: "running-vm.img", size: "80M")
        for (locked, role) in [(source, "source"), (other, "target")] {
            let hold = try QEMUImageLock(locked)
            let (from, to) = role == "source" ? (source, dir.file("kvm.img")) : (source, other)
            let refusal = Harness.refusal(from, to) { $0.force = true }
            #expect(refusal?.check == "\(role) not in use", "\(role): \(refusal?.description ?? "none")")
            #expect(refusal?.detail.contains("locked by another program") == true, "\(refusal?.detail ?? "")")
            Self.expectRefused(try await Self.cli(["--force", from, to]), saying: ["QEMU locks the disks"])
            hold.release()
            #expect(Harness.refusal(from, to) { $0.force = true } == nil, "\(role) still refused once unlocked")
        }
        #expect(!Harness.exists(dir.file("kvm.img")))
    }

    /// Mounted read-only (someone looking at the files) is safe to copy: allowed, and the run
    /// works while the mount stays.
    @Test(.requires(root: true, tools: ["mke2fs", "mount", "umount", "sha256sum"]))
    func sourceMountedReadOnlyIsAllowed() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let before = try await sha256(source)
        let target = dir.file("kvm.img")
        try await Harness.withMount(source, options: "ro,loop", in: dir) { _ in
            let plan = try Planner.plan(Harness.options(source, target))
            #expect(plan.refusal == nil, "\(plan.refusal?.detail ?? "")")
            #expect(plan.checks.first { $0.name == "source not in use" }?.passed == true)
            let result = try await Converter.run(plan, progress: SilentProgress())
            #expect(result.fsck?.clean == true)
        }
        #expect(try await sha256(source) == before)
    }

    /// The source named through a loop device while the same file is mounted read-write
    /// through another loop device: the filesystem is live all the same. --force (meant for an
    /// unclean source) must not let that through, since a mounted ext4 also reads as unclean.
    /// (Regression: Mounts.using once looked only at the named device itself.)
    @Test(.requires(root: true, tools: ["mke2fs", "mount", "umount", "losetup"]))
    func sourceLoopDeviceWhoseFileIsMountedElsewhereIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        try await Harness.withLoopDevice(source, readOnly: true) { named in
            try await Harness.withLoopDevice(source) { live in
                try await Harness.withMount(live, options: "rw", in: dir) { point in
                    for force in [false, true] {
                        let refusal = Harness.refusal(named, dir.file("kvm.img")) { $0.force = force }
                        #expect(
                            refusal?.check == "source not in use", "force \(force): \(refusal?.description ?? "none")")
                        #expect(refusal?.detail.contains(point) == true)
                    }
                    // And the reverse: the file named, mounted through a loop device.
                    let byFile = Harness.refusal(source, dir.file("kvm.img")) { $0.force = true }
                    #expect(byFile?.check == "source not in use", "\(byFile?.description ?? "none")")
                }
            }
        }
        #expect(!Harness.exists(dir.file("kvm.img")))
    }

    /// grub2's core.img does not fit before sector 32: --dos-compat would make an unbootable
    /// disk. The message names both sectors so the operator knows the fix.
    @Test(.requires(tools: ["mke2fs"]))
    func grub2GuestWithDosCompatIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage("centos7", in: dir)
        let target = dir.file("kvm.img")
        for force in [false, true] {
            let refusal = Harness.refusal(source, target) {
                $0.start = 32
                $0.force = force
            }
            #expect(refusal?.check == "bootloader fits", "\(refusal?.description ?? "none")")
            #expect(refusal?.detail.contains("sector 32") == true && refusal?.detail.contains("2048") == true)
        }
        #expect(Harness.refusal(source, target) == nil, "the default start must be fine for grub2")
        Self.expectRefused(try await Self.cli(["--dos-compat", source, target]), saying: ["sector 32", "2048"])
        #expect(!Harness.exists(target))
    }

    /// GPT needs sectors 34-2047 for the BIOS boot partition: start 32 cannot be planned.
    @Test(.requires(tools: ["mke2fs"]))
    func gptWithStart32IsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("kvm.img")
        let refusal = Harness.refusal(source, target) {
            $0.table = .gpt
            $0.start = 32
        }
        #expect(
            refusal != nil && refusal?.check == nil, "expected the planner to throw: \(refusal?.description ?? "none")")
        #expect(refusal?.detail.contains("2048") == true, "\(refusal?.detail ?? "")")
        Self.expectRefused(try await Self.cli(["--table", "gpt", "--dos-compat", source, target]), saying: ["2048"])
        Self.expectRefused(try await Self.cli(["--table", "gpt", "--start", "32", source, target]), saying: ["2048"])
        #expect(!Harness.exists(target))
    }

    /// A GPT Xen disk with the guest in partition 1 and no BIOS boot partition: grub2-install
    /// would fail in the fixes, after the copy. Refused first, saying how to add one.
    @Test(.requires(tools: ["mke2fs", "sfdisk"]))
    func gptGuestWithoutABIOSBootPartitionIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.partitionedDisk(in: dir, label: "gpt", biosBoot: false)
        let target = dir.file("kvm.img")
        let refusal = Harness.refusal(source, target)
        let steps = [
            "no BIOS boot partition", "--method clone --no-fix", "sgdisk -a 1 -n 0:34:2047 -t 0:ef02", "xen2kvm fix",
        ]
        for step in steps {
            #expect(
                refusal?.check == nil && refusal?.detail.contains(step) == true, "\(refusal?.description ?? "none")")
        }
        Self.expectRefused(try await Self.cli([source, target]), saying: steps)
        #expect(!Harness.exists(target))
    }

    /// Cloned on request all the same, its fixes refuse before any edit, saying how to add the
    /// partition, rather than failing in grub2-install half way.
    @Test(.requires(root: true, tools: ["mke2fs", "sfdisk", "losetup"]))
    func anExplicitCloneOfSuchAGuestIsNotFixedHalfWay() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.partitionedDisk(in: dir, label: "gpt", biosBoot: false)
        let target = dir.file("kvm.img")
        let run = try await Self.cli(["--method", "clone", source, target])
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        for phrase in ["the disk was copied, but its guest was not fixed", "no BIOS boot partition", "ef02"] {
            #expect(run.stderr.contains(phrase), "no \"\(phrase)\": \(run.stderr)")
        }
    }

    /// The methods that write a new table need a bare filesystem; a partitioned disk is cloned.
    @Test(.requires(tools: ["mke2fs", "sfdisk"]))
    func fileSystemMethodsOnAPartitionedSourceSuggestClone() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.partitionedDisk(in: dir)
        let target = dir.file("kvm.img")
        for method in [CopyMethod.blocks, .resize, .rsync] {
            let refusal = Harness.refusal(source, target) { $0.method = method }
            #expect(
                refusal?.check == nil && refusal?.detail.contains("--method clone") == true,
                "\(method): \(refusal?.description ?? "none")")
        }
        Self.expectRefused(try await Self.cli(["--method", "blocks", source, target]), saying: ["--method clone"])
        #expect(!Harness.exists(target))
    }

    @Test func missingSourceIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let target = dir.file("kvm.img")
        let refusal = Harness.refusal(dir.file("missing.img"), target)
        #expect(
            refusal?.check == nil && refusal?.detail.contains("does not exist") == true,
            "\(refusal?.description ?? "none")")
        Self.expectRefused(try await Self.cli([dir.file("missing.img"), target]), saying: ["does not exist"])
        #expect(!Harness.exists(target))
    }

    /// libblkid finds nothing on random bytes: auto will not guess, and says --method clone
    /// copies such a disk as it is (which then plans fine).
    @Test func unrecognisedSourceSuggestsClone() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("random.img")
        try Harness.randomBytes(4 << 20).write(to: URL(fileURLWithPath: source))
        let target = dir.file("kvm.img")
        let refusal = Harness.refusal(source, target)
        #expect(
            refusal?.check == nil && refusal?.detail.contains("--method clone") == true,
            "\(refusal?.description ?? "none")")
        Self.expectRefused(try await Self.cli([source, target]), saying: ["--method clone"])
        #expect(!Harness.exists(target))
        #expect(Harness.refusal(source, target) { $0.method = .clone } == nil)
    }

    /// A source that is not an image at all: empty, or a directory.
    @Test func emptyOrDirectorySourceIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let empty = dir.file("empty.img")
        try Harness.sparseFile(empty, bytes: 0)
        let target = dir.file("kvm.img")
        let nothing = Harness.refusal(empty, target)
        #expect(nothing?.check == nil && nothing?.detail.contains("empty") == true, "\(nothing?.description ?? "none")")
        let folder = Harness.refusal(dir.path, target)
        #expect(
            folder?.check == nil && folder?.detail.contains("neither an image file nor a block device") == true,
            "\(folder?.description ?? "none")")
        Self.expectRefused(try await Self.cli([empty, target]), saying: ["empty"])
        #expect(!Harness.exists(target))
    }

    /// The target mounted (here an image mounted through a loop device, named by its file and
    /// by the device): writing under a mounted filesystem corrupts it, --force or not.
    @Test(.requires(root: true, tools: ["mke2fs", "mount", "umount", "losetup"]))
    func mountedTargetIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = try await Harness.fixtureImage("centos5", in: dir, name: "busy.img", size: "80M")
        try await Harness.withLoopDevice(target) { device in
            try await Harness.withMount(device, options: "ro", in: dir) { point in
                for name in [target, device] {
                    let refusal = Harness.refusal(source, name) { $0.force = true }
                    #expect(refusal?.check == "target not in use", "\(name): \(refusal?.description ?? "none")")
                    #expect(refusal?.detail.contains(point) == true)
                }
                Self.expectRefused(try await Self.cli(["--force", source, device]), saying: ["unmount"])
            }
        }
    }

    /// The resize method's own refusals: it needs a fixed size to shrink to, and room for its
    /// scratch copy in an existing directory.
    @Test(.requires(tools: ["mke2fs"]))
    func resizeRefusals() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let target = dir.file("kvm.img")
        let unsized = Harness.refusal(source, target) { $0.method = .resize }
        #expect(
            unsized?.check == nil && unsized?.detail.contains("--target-size") == true,
            "\(unsized?.description ?? "none")")
        let scratch = Harness.refusal(source, target) {
            $0.method = .resize
            $0.targetSize = 48 << 20
            $0.temporaryDirectory = dir.file("no-such-directory")
        }
        #expect(scratch?.check == "scratch space", "\(scratch?.description ?? "none")")
        #expect(scratch?.detail.contains("--temp-dir") == true)
        #expect(!Harness.exists(target))
    }

    @Test(.requires(tools: ["mke2fs"]))
    func directoryTargetIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let source = try await Harness.fixtureImage(in: dir)
        let folder = dir.file("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let refusal = Harness.refusal(source, folder) { $0.force = true }
        #expect(
            refusal?.check == nil && refusal?.detail.contains("neither a file nor a block device") == true,
            "\(refusal?.description ?? "none")")
        Self.expectRefused(
            try await Self.cli(["--force", source, folder]), saying: ["neither a file nor a block device"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
