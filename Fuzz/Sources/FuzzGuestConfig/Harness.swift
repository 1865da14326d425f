import FuzzGuestFiles

@testable import Inspection

/// The input is a set of guest files (`GuestFiles`: NUL-separated, in the order of its paths).
/// Every parser inspection runs on guest text sees its file: release files, fstab, the grub
/// configs, BLS entries, consoles, modprobe, SELinux, network configs, kernel configs and
/// module lists, and the initrd. Then the findings are made from what was read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGuestConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let guest = GuestFiles(bytes)
    let report = GuestInspector.inspect(guest)
    _ = GuestChecks.findings(for: report)
    return 0
}
