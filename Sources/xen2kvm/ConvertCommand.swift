import ArgumentParser
import Conversion
import FoundationEssentials
import GuestFixes
import HostSystem
import Migration
import PartitionTable
import Remote

struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Build a partitioned KVM disk from a Xen guest disk, without touching the source.",
        discussion: """
            SOURCE is an image file or a block device (an LVM volume); it is opened read-only and \
            never written. It may be on the Xen host: ssh://[USER@]HOST[:PORT]/PATH is read there \
            over one ssh connection (--transport: x2k has xen2kvm there send the used blocks of a \
            clean ext filesystem straight into the target, resumable; e2image sends them too, dd the \
            whole volume; auto picks and says why) into a sparse staging file \
            (in --temp-dir, default next to a file target), which is converted and removed. TARGET is a path that does not exist yet (a sparse file is created, just \
            big enough), an existing image file, or a block device (its size is fixed).

            Methods:
              blocks  copy only the blocks the ext bitmaps mark as used into partition 1
              resize  for a target smaller than the filesystem plus the partition
                      start (a shell VM's disk of the source's own size): shrink a
                      scratch copy with resize2fs, then copy its used blocks; the
                      source is never resized
              rsync   a new filesystem with the source's UUID, label, block and inode
                      size and features; both mounted (source read-only), every file
                      copied with rsync -aHAXS --numeric-ids (needs root and rsync)
              wrap    a bare XFS filesystem (CentOS/RHEL 7's root): copied whole into
                      partition 1, checked with xfs_repair -n, then fixed (needs root)
              clone   copy the whole disk as it is (partitioned or non-Linux disks)
              swap    a bare swap volume: partition 1 gets a new swap area with the
                      source's UUID and label; fstab's /dev/xvdb1 finds it as vdb1
              auto    swap for a swap area; clone for a partitioned source; wrap for a
                      bare XFS; blocks when the target is big enough; resize otherwise
                      (default). Other bare filesystems are refused: --method clone
                      copies a data disk as it is
            Source and target files on one XFS or btrfs filesystem share the used blocks \
            (reflink) instead of copying them.

            Safety: convert refuses (exit 2, nothing written) when the source or the target is in use \
            (mounted, held by a running guest's blkback, locked by a running VM's QEMU), the target \
            is the source, the target holds data libblkid recognises (add --force), the \
            target is too small, or the source filesystem is not clean. The copy is checked with \
            e2fsck -fn, and the partition table is written last. Ctrl-C stops cleanly and removes \
            a target file convert created.

            An unclean source (a guest that crashed, a journal to replay, errors) has bitmaps that \
            cannot be trusted: --repair-copy copies every block of its filesystem (zeros skipped) \
            and repairs the copy with e2fsck -fy, never the source; a repair that does not finish \
            fails the run before the partition table is written. Use it too when the copy of a \
            source marked clean fails e2fsck (its metadata is damaged). --force is another \
            consent: it only lets convert overwrite a target that holds data.

            After the copy, the guest fixes run on the new disk as `xen2kvm fix` does (needs root): \
            device names, grub, console, drivers; --no-fix copies the guest unchanged, --edits-only \
            runs no guest program. A guest whose kernels are all Xen-only is refused before \
            anything is written.

            Examples:
              xen2kvm convert /dev/vg0/xen-web01 web01-kvm.img
              xen2kvm convert /dev/vg0/xen-web01 /dev/vg1/kvm-web01 --dos-compat --force
              xen2kvm convert web01.img web01-kvm.img --table gpt --dry-run
              xen2kvm convert /dev/vg0/xen-web01 /dev/vg1/kvm-web01 --method resize
              xen2kvm convert /dev/vg0/xen-web01-swap web01-swap-kvm.img
              xen2kvm convert ssh://root@xen1/dev/vg0/web01 /dev/vg1/kvm-web01

            Exit status: 0 done; 1 failed while working; 2 refused (nothing written); \
            130 interrupted (SIGINT/SIGTERM); 64 bad usage.
            """)

    @Argument(help: "The Xen guest disk: an image file or a block device, here or ssh://[USER@]HOST[:PORT]/PATH.")
    var source: String

    @Argument(help: "The KVM disk to make: a new file, an existing image, or a block device.")
    var target: String

    @Option(help: "How to copy: auto, blocks, resize, rsync, clone or swap.")
    var method: CopyMethod = .auto

    @Option(help: "Partition table: mbr or gpt.")
    var table: TableKind = .mbr

    @Option(help: "First sector of partition 1 (default 2048).")
    var start: UInt64?

    @Flag(help: "Start partition 1 at sector 32, the DOS-compatible layout OnApp uses (MBR only).")
    var dosCompat = false

    @Option(help: "Size of a new target file, e.g. 20G or 21474836480 (default: just big enough).")
    var targetSize: String?

    @Option(help: "Directory for the resize method's shrunken copy (default: next to a file target, else /var/tmp).")
    var tempDir: String?

    @OptionGroup var remote: RemoteOptions

    @OptionGroup var compression: CompressOption

    @Flag(help: "Copy the guest unchanged: no guest fixes.")
    var noFix = false

    @OptionGroup var fix: FixFlags

    @Flag(help: "Print the plan and write nothing.")
    var dryRun = false

    @Flag(help: "Overwrite a target that holds data.")
    var force = false

    @Flag(
        help: ArgumentHelp(
            "Copy a source that is not clean: every block, then repair the copy with e2fsck -fy (never the source)."))
    var repairCopy = false

    @Flag(help: "Print the plan and the result as one JSON object.")
    var json = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if RemoteSource.isRemote(source) {
            do { _ = try RemoteSource.parse(source) } catch { throw ValidationError(error.description) }
        } else if remote.anyGiven || compression.compress != nil {
            throw RemoteOptions.onlyRemote(for: "an ssh:// SOURCE")
        }
        try remote.check(compression)
        if noFix && (fix.editsOnly || !fix.helpers.isEmpty || fix.profile != "auto" || !fix.maps.isEmpty) {
            throw ValidationError("--no-fix excludes --edits-only, --helper, --profile and --map")
        }
        if dosCompat && start != nil { throw ValidationError("--dos-compat and --start exclude each other") }
        if let targetSize, SizeParser.bytes(targetSize) == nil {
            throw ValidationError("--target-size \(targetSize): write a number of bytes or use K, M, G, T (1024-based)")
        }
    }

    @OptionGroup var log: LogOptions

    func run() async throws {
        TraceTiming.mark("start-up (program and libraries loaded)")
        try await log.run { try await RunRecord.during(convert) }
    }

    private func convert() async throws {
        var options = ConvertOptions(source: source, target: target)
        options.method = method
        options.table = table
        options.start = dosCompat ? PartitionTable.dosCompatibleStart : (start ?? PartitionTable.defaultStart)
        options.targetSize = targetSize.flatMap(SizeParser.bytes)
        options.force = force
        options.repairCopy = repairCopy
        options.temporaryDirectory = tempDir

        let output = ConvertOutput(json: json, quiet: quiet)
        var received: RemoteFetch.Received?
        defer { if let received { StagingFile.remove(received) } }
        if let disk = try? RemoteSource.parse(source) {
            // The remote disk is received into a staging file first and converted here, or
            // (x2k) streamed straight into the target.
            Cancellation.install()
            switch try await receive(disk, options: options, output: output) {
            case .staged(let done):
                received = done
                options.source = done.staging
            case .planned(let plan):
                try show(dryRun: plan, output: output)
                return
            case .converted(let plan, let result):
                // Planned from the stream's header, once it came; shown as the local path shows it.
                output.plan(plan, dryRun: false)
                try await fixAndReport(plan, result, output: output)
                return
            }
            TraceTiming.mark("remote transfer")
        }
        var plan: ConversionPlan
        switch await ImageParser.contained.plan(options) {
        case .success(let value): plan = value
        case .failure(let error):
            output.failure(error, plan: nil)
            throw ExitCode(error.exitCode)
        }
        GuestFixPlanning.addChecks(to: &plan, noFix: noFix, fix: fix.options(for: target, dryRun: false))
        TraceTiming.mark("planning")
        if dryRun {
            try show(dryRun: plan, output: output)
            return
        }
        if let refusal = plan.refusal {
            output.failure(.refused(refusal.detail), plan: plan)
            throw ExitCode(2)
        }
        output.plan(plan, dryRun: false)
        Cancellation.install()
        let result: ConversionResult
        do {
            result = try await Converter.run(plan, progress: output.progress, parser: .contained)
        } catch {
            output.failure(error, plan: plan)
            throw ExitCode(error.exitCode)
        }
        try await fixAndReport(plan, result, output: output)
    }

    func show(dryRun plan: ConversionPlan, output: ConvertOutput) throws {
        output.plan(plan, dryRun: true)
        if let refusal = plan.refusal {
            if !json { output.error("would refuse: \(refusal.detail)") }
            throw ExitCode(2)
        }
    }

    /// After the copy: the guest fixes (unless --no-fix), then the summary.
    func fixAndReport(_ plan: ConversionPlan, _ result: ConversionResult, output: ConvertOutput) async throws {
        var fixes: FixReport?
        if !noFix && plan.fixesGuest {
            output.progress.note("fixing the guest on the new disk")
            do {
                fixes = try await ConvertThenFix.fix(after: plan, fix.options(for: target, dryRun: false))
            } catch {
                // The copy is whole and checked; only the guest is not ready for KVM yet.
                let text =
                    "the disk was copied, but its guest was not fixed (\(error.description)); it will not boot "
                    + "under KVM as it is: finish with `xen2kvm fix \(target)` (with the same --profile, --map, "
                    + "--helper, --edits-only), or convert again with --force"
                let interrupted = FixText.exitCode(error) == 130
                output.failure(interrupted ? .interrupted(text) : .failed(text), plan: plan)
                throw ExitCode(interrupted ? 130 : 1)
            }
        }
        if fixes != nil { TraceTiming.mark("guest fixes") }
        output.success(plan: plan, result: result, fixes: fixes)
    }
}

extension CopyMethod: ExpressibleByArgument {}
extension TableKind: ExpressibleByArgument {}

/// "20G", "512M", "1048576" → bytes (1024-based suffixes).
enum SizeParser {
    static func bytes(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = text.uppercased()
        if digits.hasSuffix("IB") { digits.removeLast(2) } else if digits.hasSuffix("B") { digits.removeLast() }
        var factor: UInt64 = 1
        if let last = digits.last, let unit = units[last] {
            factor = unit
            digits.removeLast()
        }
        guard let value = UInt64(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}
