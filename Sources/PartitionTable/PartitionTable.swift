/// MBR and GPT partition tables for one Linux filesystem, written and read in pure Swift.
///
/// A Xen PV guest's bare filesystem becomes partition 1 of a KVM disk. The two layouts this
/// module writes (all numbers are 512-byte sectors, LBA = sector index from 0):
///
/// ```
/// MBR, 1 MiB aligned (default)             MBR, DOS-compatible (--dos-compat)
/// +--------+---------------+-----------+   +--------+-----------+--------------------+
/// | LBA 0  | 1 ... 2047    | 2048 ...  |   | LBA 0  | 1 ... 31  | 32 ...             |
/// | MBR    | gap: grub2    | partition |   | MBR    | gap: grub | partition 1        |
/// | boot   | core.img      | 1 (0x83,  |   | boot   | legacy    | (0x83, bootable)   |
/// | sector | (~27-35 KiB)  | bootable) |   | sector | stage1_5  |                    |
/// +--------+---------------+-----------+   +--------+-----------+--------------------+
///   0-439    boot code (installed later by grub, zero here)
///   440-443  disk signature (little-endian)    446-509 four 16-byte partition entries
///   510-511  0x55 0xAA
///
/// GPT (partition start >= 2048)
/// +-------+--------+-----------+-------------+----------------+-----------+---------+
/// | LBA 0 | LBA 1  | LBA 2-33  | LBA 34-2047 | 2048 ...       | disk-33   | disk-1  |
/// | prot. | GPT    | 128 x 128 | entry 2:    | entry 1: Linux | backup    | backup  |
/// | MBR   | header | byte      | BIOS boot   | filesystem     | entries   | header  |
/// | 0xEE  | "EFI   | entries   | (grub2      | (the guest's   | (32       | (last   |
/// |       | PART"  |           | core.img)   | vda1)          | sectors)  | sector) |
/// +-------+--------+-----------+-------------+----------------+-----------+---------+
/// ```
///
/// Geometry lives in `DiskLayout`; the bytes come from `MBR` and `GPT`; `PartitionTableWriter`
/// puts them on a file or device and `PartitionTableReader` reads any table back.
public enum PartitionTable {
    /// Bytes per sector. Only 512-byte logical sectors are supported (virtio-blk's default).
    public static let sectorSize = 512

    /// Partition 1's default first sector: 1 MiB, room for any grub2 core.img.
    public static let defaultStart: UInt64 = 2048
    /// The DOS-compatible first sector: 31 free sectors, enough for grub legacy only.
    public static let dosCompatibleStart: UInt64 = 32

    /// MBR partition type of a Linux filesystem.
    public static let linuxMBRType: UInt8 = 0x83
    public static let linuxSwapMBRType: UInt8 = 0x82
    /// MBR partition type of the protective entry in front of a GPT.
    public static let protectiveMBRType: UInt8 = 0xEE
    /// MBR boot indicator of the active (bootable) partition.
    public static let bootableFlag: UInt8 = 0x80
    /// The boot signature at bytes 510-511 of sector 0 (0x55 then 0xAA on disk).
    public static let bootSignature: UInt16 = 0x55AA
    /// Byte offsets inside sector 0.
    public static let diskSignatureOffset = 440
    public static let mbrEntriesOffset = 446
    public static let mbrEntrySize = 16

    /// The 8-byte signature opening a GPT header.
    public static let gptSignature: [UInt8] = Array("EFI PART".utf8)
    /// GPT revision 1.0 as stored in the header.
    public static let gptRevision: UInt32 = 0x0001_0000
    /// Bytes of the GPT header covered by its CRC.
    public static let gptHeaderSize: UInt32 = 92
    /// Entry slots in the array; 128 x 128 bytes = 32 sectors.
    public static let gptEntryCount = 128
    public static let gptEntrySize = 128
    /// Sectors holding the entry array.
    public static let gptEntriesSectors: UInt64 = 32
    /// Sectors the backup GPT takes at the end of the disk (entries + header).
    public static let gptBackupSectors: UInt64 = 33
    /// First sector a partition may use: after MBR, header and entries.
    public static let gptFirstUsableLBA: UInt64 = 34
    /// The BIOS boot partition (GPT entry 2) spans 34 ... 2047.
    public static let biosBootFirstLBA: UInt64 = 34
    public static let biosBootLastLBA: UInt64 = 2047

    /// GPT type of a Linux filesystem partition.
    public static let linuxFilesystemType = GUID.constant("0FC63DAF-8483-4772-8E79-3D69D8477DE4")
    public static let linuxSwapType = GUID.constant("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F")

    /// Partition 1's MBR type and GPT type GUID for what it holds.
    public static func mbrType(for content: PartitionContent) -> UInt8 {
        content == .linuxSwap ? linuxSwapMBRType : linuxMBRType
    }

    public static func gptType(for content: PartitionContent) -> GUID {
        content == .linuxSwap ? linuxSwapType : linuxFilesystemType
    }
    /// GPT type of the BIOS boot partition grub2 embeds core.img into.
    public static let biosBootType = GUID.constant("21686148-6449-6E6F-744E-656564454649")
    /// Partition names written in the GPT entries (UTF-16LE on disk).
    public static let linuxFilesystemName = "Linux filesystem"
    public static let linuxSwapName = "Linux swap"
    public static let biosBootName = "BIOS boot partition"

    /// MBR entries hold 32-bit LBAs: a partition must end by sector 2^32 (2 TiB).
    public static let mbrSectorLimit: UInt64 = 1 << 32
}
