import HostSystem
import PartitionTable
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The open target: created sparse when new, opened in place (block device exclusively)
/// when it exists; locked against VMs while open (a QEMU started on it meanwhile refuses).
final class TargetFile {
    let fd: FileDescriptor
    let path: String
    /// All zeros before the copy (new or empty file): zero chunks need not be written.
    let isNew: Bool
    /// Created by this run (not there before).
    private let created: Bool
    /// The created file, in the run's record until it is finished or removed: a run killed
    /// meanwhile has it removed by the next.
    private let made: RunRecord.Holding?
    private let record = RunRecord.current
    private var closed = false

    private init(fd: FileDescriptor, path: String, isNew: Bool, created: Bool = false) {
        self.fd = fd
        self.path = path
        self.isNew = isNew
        self.created = created
        made = created ? FileIdentity.of(path).map { .made(path, $0) } : nil
        if let made { record?.hold(made) }
        DiskInUse.holdAgainstVMs(fd.rawValue)
    }

    /// `kept`: a file this run creates stays when the run fails or is killed (a transfer that
    /// resumes keeps its state next to it); the caller removes it when it gives it up.
    static func open(_ plan: ConversionPlan, kept: Bool = false) throws(ConversionError) -> TargetFile {
        let path = plan.target.path
        do {
            if plan.target.created {
                // O_EXCL: never clobber a file that appeared since the plan was made.
                let fd = try FileDescriptor.open(
                    FilePath(path), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                    permissions: [.ownerReadWrite, .groupRead])
                let target = TargetFile(fd: fd, path: path, isNew: true, created: !kept)
                try fd.resize(to: Int64(plan.target.sizeBytes))
                return target
            }
            // O_EXCL on a block device: an exclusive open that fails while it is mounted.
            let options: FileDescriptor.OpenOptions =
                plan.target.kind == "block device" ? [.exclusiveCreate, .closeOnExec] : [.closeOnExec]
            let fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: options)
            let isEmptyFile = plan.target.kind == "existing file" && plan.target.existingBytes == 0
            if isEmptyFile { try fd.resize(to: Int64(plan.target.sizeBytes)) }
            return TargetFile(fd: fd, path: path, isNew: isEmptyFile)
        } catch {
            throw .failed("cannot open the target \(path) for writing: \(error)")
        }
    }

    /// A target an interrupted transfer left (a kept file, or the device it was given), opened
    /// again to go on where it stopped; `isNew`: it read as zeros before that transfer began.
    static func reopen(_ plan: ConversionPlan, isNew: Bool) throws(ConversionError) -> TargetFile {
        let options: FileDescriptor.OpenOptions =
            plan.target.kind == "block device" ? [.exclusiveCreate, .closeOnExec] : [.closeOnExec]
        do {
            let fd = try FileDescriptor.open(FilePath(plan.target.path), .writeOnly, options: options)
            return TargetFile(fd: fd, path: plan.target.path, isNew: isNew)
        } catch {
            throw .failed("cannot open the target \(plan.target.path) again for writing: \(error)")
        }
    }

    /// Zeroes what an old table or filesystem left before partition 1 and in the GPT backup
    /// area, so no stale signature outlives the conversion (the copy overwrites the rest).
    func wipeTableAreas(_ plan: ConversionPlan) throws(ConversionError) {
        let size = plan.target.existingBytes
        var areas: [Range<UInt64>] = []
        if let layout = plan.layout {
            areas.append(0..<layout.partitionOffsetBytes)
            let partitionEnd = layout.partitionOffsetBytes + layout.partitionBytes
            let tailStart = max(size >= 33 * 512 ? size - 33 * 512 : 0, partitionEnd)
            if tailStart < size { areas.append(tailStart..<size) }
        }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for area in areas {
            var offset = area.lowerBound
            while offset < area.upperBound {
                let count = Int(min(UInt64(zeros.count), area.upperBound - offset))
                do {
                    _ = try fd.writeAll(toAbsoluteOffset: Int64(offset), zeros.prefix(count))
                } catch {
                    throw .failed("clearing old signatures on \(path) at byte \(offset): \(error)")
                }
                offset += UInt64(count)
            }
        }
    }

    func sync(_ when: String) throws(ConversionError) {
        guard !closed else { return }
        guard fsync(fd.rawValue) == 0 else {
            throw .failed("syncing \(path) \(when): \(Errno(rawValue: errno))")
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        try? fd.close()
    }

    /// At the end of the run: a file convert created is removed unless the run finished, so no
    /// half-made disk is left behind to be mistaken for a good one (after a kill -9, the next
    /// run removes it by the same rule, from the record).
    func settle(finished: Bool) {
        guard created else { return }
        if !finished { _ = unlink(path) }
        if let made { record?.drop(made) }
    }
}
