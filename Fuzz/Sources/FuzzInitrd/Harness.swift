import Inspection

/// The input is a whole initrd: cpio archives, plain or gzip/xz/lzma/zstd-compressed, one
/// after the other, as /boot holds it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInitrd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let contents = try? InitrdContents.read(bytes) {
        _ = contents.hasModule("virtio_blk")
    }
    return 0
}
