import CBlkid
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What libblkid recognises on an image file or block device.
///
/// Used twice: to describe a source (`inspect`), and as the safety check before anything is
/// written to a target — a target that holds a filesystem, a partition table, LVM or swap is
/// refused unless the operator forces it.
public struct ProbeResult: Sendable, Codable, Equatable {
    public enum SourceKind: String, Sendable, Codable {
        case file
        case blockDevice
    }

    public var path: String
    public var kind: SourceKind
    public var sizeBytes: UInt64
    /// Filesystem or other content type: "ext4", "swap", "LVM2_member", "ntfs" …
    public var type: String?
    public var uuid: String?
    public var label: String?
    /// "dos" or "gpt" when the disk carries a partition table.
    public var partitionTable: String?
    /// "filesystem", "raid", "crypto", "other" — blkid's usage of `type`.
    public var usage: String?
    /// Every tag blkid reported, for the curious.
    public var tags: [String: String]

    /// True when writing over this would destroy something libblkid can name.
    public var holdsData: Bool { type != nil || partitionTable != nil }

    /// One line for reports: "ext4 UUID=… LABEL=…" or "partition table dos" or "nothing recognised".
    public var summary: String {
        var parts: [String] = []
        if let type { parts.append(type) }
        if let uuid { parts.append("UUID=\(uuid)") }
        if let label, !label.isEmpty { parts.append("LABEL=\(label)") }
        if let partitionTable { parts.append("partition table \(partitionTable)") }
        return parts.isEmpty ? "nothing recognised" : parts.joined(separator: " ")
    }
}

public enum BlockProbeError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case probeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open \(path) to probe it: \(reason)"
        case .probeFailed(let path, let reason): return "libblkid could not probe \(path): \(reason)"
        }
    }
}

public enum BlockProbe {
    /// Probes `path` read-only, like `blkid -p`: superblocks (filesystems, swap, LVM, RAID
    /// members) and partition tables, with ambivalent results reported rather than guessed.
    public static func probe(_ path: String, offset: UInt64 = 0) throws(BlockProbeError) -> ProbeResult {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        defer { try? fd.close() }

        var info = stat()
        guard fstat(fd.rawValue, &info) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let isBlock = (info.st_mode & S_IFMT) == S_IFBLK
        let size: UInt64
        do {
            size = UInt64(try fd.seek(offset: 0, from: .end))
        } catch {
            throw .cannotOpen(path: path, reason: "cannot find its size: \(error)")
        }

        guard let probe = blkid_new_probe() else {
            throw .probeFailed(path: path, reason: "out of memory")
        }
        defer { blkid_free_probe(probe) }
        let length = size > offset ? size - offset : 0
        guard blkid_probe_set_device(probe, fd.rawValue, blkid_loff_t(offset), blkid_loff_t(length)) == 0
        else {
            throw .probeFailed(path: path, reason: "cannot attach the device")
        }
        blkid_probe_enable_superblocks(probe, 1)
        blkid_probe_set_superblocks_flags(
            probe, Int32(BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE))
        blkid_probe_enable_partitions(probe, 1)
        blkid_probe_set_partitions_flags(probe, Int32(BLKID_PARTS_ENTRY_DETAILS))

        let status = blkid_do_safeprobe(probe)
        var tags: [String: String] = [:]
        switch status {
        case 0:
            let count = blkid_probe_numof_values(probe)
            for index in 0..<count {
                var name: UnsafePointer<CChar>?
                var data: UnsafePointer<CChar>?
                var dataLength = 0
                if blkid_probe_get_value(probe, index, &name, &data, &dataLength) == 0,
                    let name, let data
                {
                    tags[String(cString: name)] = String(cString: data)
                }
            }
        case -2:
            // Several signatures that contradict each other: never treat that as empty.
            tags["AMBIVALENT"] = "yes"
        case 1:
            break  // nothing found
        default:
            throw .probeFailed(path: path, reason: "probe error \(status)")
        }

        return ProbeResult(
            path: path,
            kind: isBlock ? .blockDevice : .file,
            sizeBytes: size,
            type: tags["TYPE"] ?? (tags["AMBIVALENT"] != nil ? "ambivalent" : nil),
            uuid: tags["UUID"],
            label: tags["LABEL"],
            partitionTable: tags["PTTYPE"],
            usage: tags["USAGE"],
            tags: tags)
    }
}
