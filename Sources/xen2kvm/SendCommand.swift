import ArgumentParser
import Conversion
import X2K
import X2KStream

#if canImport(Glibc)
    import Glibc
#endif

/// The Xen side of the x2k transport: what `convert ssh://…` runs on the Xen host over ssh.
/// Writes the stream to standard output; not for operators (hidden from --help).
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send", abstract: "Send a disk's used blocks as an x2k stream on standard output (internal).",
        shouldDisplay: false)

    @Flag(help: "Print the stream format this xen2kvm writes, and exit.")
    var format = false

    @Option(help: "The fingerprint of the interrupted transfer to continue.")
    var resume: String?

    @Option(help: "The filesystem byte of its last checkpoint.")
    var resumeFrom: UInt64?

    @OptionGroup var compression: CompressOption

    @Option(help: "Data bytes between checkpoints (default: a twentieth of the used bytes, 4 MiB to 256 MiB).")
    var checkpointBytes: UInt64?

    @Argument(help: "The disk on this host: an image file or a block device, opened read-only.")
    var path: String?

    func validate() throws {
        if !format && path == nil { throw ValidationError("name the disk to send") }
        if (resume == nil) != (resumeFrom == nil) { throw ValidationError("--resume and --resume-from go together") }
    }

    func run() throws {
        if format {
            print("x2k \(StreamHeader.currentFormat)")
            return
        }
        var options = X2KSender.Options(path: path!)
        if let resume, let resumeFrom { options.resume = (resume, resumeFrom) }
        options.compress = compression.zstd
        options.checkpointBytes = checkpointBytes
        signal(SIGPIPE, SIG_DFL)
        do {
            try X2KSender.send(options, to: 1)
        } catch {
            ErrorOutput.print(error.description)
            throw ExitCode(error.exitCode)
        }
    }
}
