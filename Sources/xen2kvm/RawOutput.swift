import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Why a command stopped, on stderr and in the log.
enum ErrorOutput {
    static func print(_ text: String) {
        Log.error(text, printed: true)
        RawOutput.stderr("xen2kvm: \(text)\n")
    }
}

/// Unbuffered writes: progress, messages and log records appear as they happen.
enum RawOutput {
    static func stderr(_ text: String) { write(text, to: STDERR_FILENO) }

    /// All of `text` (short writes and EINTR retried); gives up on an error, since there is
    /// nowhere left to report it.
    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let put = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if put < 0 && errno == EINTR { continue }
                if put <= 0 { return }
                offset += put
            }
        }
    }
}
