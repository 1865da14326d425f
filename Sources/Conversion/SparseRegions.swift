import CLinuxIO
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The regions of a file that hold data (SEEK_DATA/SEEK_HOLE), so a clone skips holes
/// without reading them. Block devices have no holes: the whole device is one region.
enum SparseRegions {
    static func dataRegions(of fd: FileDescriptor, size: UInt64) -> [Range<UInt64>] {
        var regions: [Range<UInt64>] = []
        var position: Int64 = 0
        while UInt64(position) < size {
            let data = xen2kvm_seek_data(fd.rawValue, Int64(position))
            if data < 0 {
                // ENXIO: no data after position. Anything else: the file system cannot tell,
                // so copy everything left.
                if errno != ENXIO { regions.append(UInt64(position)..<size) }
                break
            }
            var hole = xen2kvm_seek_hole(fd.rawValue, data)
            if hole < 0 { hole = Int64(size) }
            regions.append(UInt64(data)..<min(UInt64(hole), size))
            position = hole
        }
        return regions
    }
}
