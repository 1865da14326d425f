import Conversion

/// How a remote disk's bytes come over ssh.
public enum Transport: String, Sendable, Codable, CaseIterable {
    /// e2image for a clean bare ext filesystem on a host that has it, dd otherwise.
    case auto
    /// `e2image -ra PATH -` on the remote host (e2fsprogs ≥ 1.42.7): the used blocks, and
    /// zeros for the rest, which are not written here (a sparse staging file).
    case e2image
    /// `dd if=PATH`: the whole volume as it is (partitioned disks, XFS, swap, an unclean
    /// filesystem), zero runs skipped here the same way.
    case dd
    /// `xen2kvm send PATH` on the remote host: the used blocks of a clean ext filesystem as a
    /// framed, checksummed stream written straight into the target, resumable (X2K module).
    case x2k
}

/// What the probe found on the remote host, before anything is transferred.
public struct RemoteFacts: Sendable, Equatable {
    /// The volume's size in bytes (block device or file).
    public var size: UInt64
    /// e2image is on the remote PATH (or in /sbin, /usr/sbin).
    public var hasE2image: Bool
    /// The ext superblock at offset 1024, when there is one.
    public var ext: ExtSuperblock?
    /// The remote xen2kvm that speaks the x2k stream format this one reads, when there is one.
    public var xen2kvm: String?

    public init(size: UInt64, hasE2image: Bool, ext: ExtSuperblock?, xen2kvm: String? = nil) {
        self.size = size
        self.hasE2image = hasE2image
        self.ext = ext
        self.xen2kvm = xen2kvm
    }
}

/// The superblock fields the transport choice needs (little-endian, at byte 1024).
public struct ExtSuperblock: Sendable, Equatable {
    public var blockSize: UInt64
    public var blocks: UInt64
    public var freeBlocks: UInt64
    /// s_state's "valid" bit: cleanly unmounted.
    public var cleanlyUnmounted: Bool
    /// s_state's "errors" bit.
    public var hasErrors: Bool
    /// INCOMPAT_RECOVER: a journal to replay.
    public var needsRecovery: Bool
    public var firstDataBlock: UInt64 = 0
    public var blocksPerGroup: UInt64 = 8192
    /// Bytes per group descriptor (32, or s_desc_size with 64bit).
    public var descriptorSize: UInt64 = 32
    public var reservedGDTBlocks: UInt64 = 0
    /// RO_COMPAT_SPARSE_SUPER: backups in groups 1 and powers of 3, 5, 7.
    public var sparseSuper = true
    /// COMPAT_SPARSE_SUPER2: backups only in the (up to two) groups s_backup_bgs names.
    public var sparseSuper2Groups: [UInt64]?
    /// INCOMPAT_META_BG: descriptors spread over the groups (backups laid out otherwise).
    public var metaBG = false

    public var bytes: UInt64 { blocks * blockSize }
    public var usedBytes: UInt64 { (blocks > freeBlocks ? blocks - freeBlocks : 0) * blockSize }
    public var isClean: Bool { cleanlyUnmounted && !hasErrors && !needsRecovery }

    /// Reads the superblock from its 1024 bytes; nil when it is not one.
    public static func parse(_ bytes: [UInt8]) -> ExtSuperblock? {
        guard bytes.count >= 1024 else { return nil }
        func u16(_ at: Int) -> UInt64 { UInt64(bytes[at]) | UInt64(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt64 { u16(at) | u16(at + 2) << 16 }
        guard u16(56) == 0xEF53 else { return nil }
        let logBlockSize = u32(24)
        guard logBlockSize <= 6 else { return nil }
        let incompat = u32(96)
        let is64bit = incompat & 0x80 != 0
        let blocks = u32(4) | (is64bit ? u32(0x150) << 32 : 0)
        let free = u32(12) | (is64bit ? u32(0x158) << 32 : 0)
        guard blocks > 0 else { return nil }
        let state = u16(58)
        var superblock = ExtSuperblock(
            blockSize: 1024 << logBlockSize, blocks: blocks, freeBlocks: free, cleanlyUnmounted: state & 1 != 0,
            hasErrors: state & 2 != 0, needsRecovery: incompat & 0x4 != 0)
        superblock.firstDataBlock = u32(20)
        superblock.blocksPerGroup = u32(32)
        guard superblock.blocksPerGroup > 0 else { return nil }
        superblock.descriptorSize = is64bit && u16(0xFE) >= 32 ? u16(0xFE) : 32
        superblock.reservedGDTBlocks = u16(0xCE)
        superblock.sparseSuper = u32(100) & 0x1 != 0
        if u32(92) & 0x200 != 0 { superblock.sparseSuper2Groups = [u32(0x24C), u32(0x250)].filter { $0 != 0 } }
        superblock.metaBG = incompat & 0x10 != 0
        return superblock
    }

    public var groups: UInt64 { (blocks - min(firstDataBlock, blocks) + blocksPerGroup - 1) / blocksPerGroup }

    /// The block runs of every backup superblock with its descriptors and reserved GDT blocks.
    /// `e2image -ra` does not send them (it sends zeros there), so they are read separately.
    /// Not for meta_bg (its descriptors lie elsewhere; the dd transport reads that layout).
    public func backupRuns() -> [Range<UInt64>] {
        let count = groups
        let descriptorBlocks = (count * descriptorSize + blockSize - 1) / blockSize
        let length = 1 + descriptorBlocks + reservedGDTBlocks
        var backupGroups: [UInt64]
        if let sparseSuper2Groups {
            backupGroups = sparseSuper2Groups.filter { $0 > 0 && $0 < count }
        } else if sparseSuper {
            var found: Set<UInt64> = count > 1 ? [1] : []
            for base: UInt64 in [3, 5, 7] {
                var power = base
                while power < count {
                    found.insert(power)
                    power *= base
                }
            }
            backupGroups = found.sorted()
        } else {
            backupGroups = count > 1 ? Array(1..<count) : []
        }
        return backupGroups.map { group in
            let start = firstDataBlock + group * blocksPerGroup
            return start..<min(start + length, blocks)
        }.filter { !$0.isEmpty }
    }
}

/// The transport to use, why, and how many bytes its stream must have.
public struct TransportChoice: Sendable, Equatable {
    public var transport: Transport
    public var reason: String
    /// e2image: the filesystem's size; dd: the volume's.
    public var streamBytes: UInt64
    /// e2image: the superblock (its backups are read after the stream).
    public var ext: ExtSuperblock? = nil
    /// x2k: the remote xen2kvm's path.
    public var remoteXen2kvm: String? = nil

    /// Picks e2image for a clean bare ext filesystem on a host that has e2image, dd otherwise;
    /// a requested transport that cannot work is refused (nothing transferred). `askedAs` is how
    /// the operator asked for a transport ("--transport", or a fleet manifest's field), for the
    /// reason and the refusal.
    public static func choose(
        _ requested: Transport, facts: RemoteFacts, host: String, askedAs: String = "--transport"
    ) throws(ConversionError) -> TransportChoice {
        let dd = TransportChoice(
            transport: .dd, reason: "", streamBytes: facts.size)
        // Why e2image cannot be used, if it cannot.
        var against: String?
        if let ext = facts.ext {
            if ext.bytes > facts.size {
                against = "its ext superblock names \(ext.bytes) bytes, more than the volume's \(facts.size)"
            } else if !ext.isClean {
                let why =
                    ext.needsRecovery
                    ? "a journal to replay" : ext.hasErrors ? "errors recorded" : "not cleanly unmounted"
                against = "its ext filesystem is not clean (\(why)): its bitmaps cannot be trusted"
            } else if ext.metaBG {
                against = "its ext filesystem has the meta_bg layout, whose descriptors e2image leaves out"
            } else if !facts.hasE2image {
                against = "there is no e2image on \(host) (e2fsprogs)"
            }
        } else {
            against = "it is not a bare ext filesystem (partitioned, XFS, swap or other)"
        }
        // Why x2k cannot be used, if it cannot (it reads the bitmaps itself: meta_bg is fine).
        var againstX2K: String?
        if let ext = facts.ext, ext.bytes <= facts.size, !ext.isClean {
            againstX2K = against
        } else if facts.ext == nil || facts.ext!.bytes > facts.size {
            againstX2K = against
        } else if facts.xen2kvm == nil {
            againstX2K =
                "there is no xen2kvm on \(host) that sends the x2k stream format \(x2kFormat) (--remote-xen2kvm "
                + "names its path)"
        }
        switch requested {
        case .x2k:
            if let againstX2K {
                throw .refused(
                    "\(askedAs) x2k cannot read this disk: \(againstX2K); use \(askedAs) e2image or dd")
            }
            return x2k(facts, lead: "\(askedAs) x2k")
        case .auto where againstX2K == nil:
            return x2k(facts, lead: "a clean ext filesystem and xen2kvm on \(host)")
        case .dd:
            var choice = dd
            choice.reason = "\(askedAs) dd: the whole volume"
            return choice
        case .e2image:
            if let against {
                throw .refused("\(askedAs) e2image cannot read this disk: \(against); use \(askedAs) dd")
            }
        case .auto:
            if let against {
                var choice = dd
                choice.reason = "\(against): the whole volume"
                return choice
            }
        }
        let ext = facts.ext!
        let lead = requested == .e2image ? "\(askedAs) e2image" : "a clean ext filesystem and e2image on \(host)"
        return TransportChoice(
            transport: .e2image,
            reason: "\(lead): only the used blocks are read there (\(ext.usedBytes) of \(ext.bytes) bytes)",
            streamBytes: ext.bytes, ext: ext)
    }

    /// The x2k stream format this xen2kvm reads (X2KStream's StreamHeader.currentFormat; the
    /// probe asks the remote `xen2kvm send --format` for its own).
    public static let x2kFormat = 1

    private static func x2k(_ facts: RemoteFacts, lead: String) -> TransportChoice {
        let ext = facts.ext!
        return TransportChoice(
            transport: .x2k,
            reason: "\(lead) (\(facts.xen2kvm!)): only the used blocks are sent, straight into the target, "
                + "resumable (\(ext.usedBytes) of \(ext.bytes) bytes)",
            streamBytes: ext.usedBytes, ext: ext, remoteXen2kvm: facts.xen2kvm)
    }
}
