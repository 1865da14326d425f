import Conversion
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What tells a source changed between two transfers: its size, a file's modification time,
/// its superblock (write time, free counts, kilobytes written: any mount or write changes it)
/// and the runs of blocks sent. FNV-1a, 64 bits: it tells change, it is no proof against
/// someone who means to forge one.
enum Fingerprint {
    static func of(_ path: String, fd: FileDescriptor, size: UInt64, runs: UsedBlockRuns) -> String {
        var hash = FNV()
        hash.add(size)
        var info = stat()
        if fstat(fd.rawValue, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
            hash.add(UInt64(bitPattern: Int64(info.st_mtim.tv_sec)))
            hash.add(UInt64(bitPattern: Int64(info.st_mtim.tv_nsec)))
        }
        var superblock = [UInt8](repeating: 0, count: 1024)
        let read = (try? superblock.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: 1024, into: $0) }) ?? 0
        hash.add(UInt64(read))
        hash.add(superblock)
        hash.add(runs.blockSize)
        for run in runs.send + [0..<0] + runs.zero {
            hash.add(run.lowerBound)
            hash.add(run.upperBound)
        }
        let digits = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    struct FNV {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ bytes: [UInt8]) {
            for byte in bytes {
                value ^= UInt64(byte)
                value &*= 0x100_0000_01b3
            }
        }
        mutating func add(_ number: UInt64) { withUnsafeBytes(of: number.littleEndian) { add(Array($0)) } }
    }
}
