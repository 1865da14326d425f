import ExtFS
extension ExtFilesystem {
    func minimumSizeBytesPending() throws(ExtFSError) -> UInt64 { 0 }
}
