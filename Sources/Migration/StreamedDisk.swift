import Conversion
import HostSystem
import Remote
import X2K
import X2KStream

/// A disk of `migrate --from` that the x2k transport writes straight into its target: no
/// staging file. Its plan is made from the stream's header (the source as the Xen host's
/// `xen2kvm send` describes it) by the same planner as every other disk, before any disk
/// moves; the transfer later takes that plan as it is (`X2KReceiver.Options.planned`) and
/// fails if the source's fingerprint changed in between.
public struct StreamedDisk: Sendable, Codable {
    /// `ssh://root@xen1/dev/vg0/web01-disk`.
    public var source: String
    /// The xen2kvm on the Xen host (what the probe found).
    public var remoteXen2kvm: String
    public var sshConfig: String?
    public var compress = false
    /// Why x2k was chosen (the note said so).
    public var reason: String
    /// The header's fingerprint of the source, the one the plan was made from.
    public var fingerprint: String
    /// The header's description of the source.
    public var described: DescribedSource
    /// The options the disk's plan was made with (set by the planner): the transfer and its
    /// resume state are keyed on them.
    public var convert: ConvertOptions?

    public init(
        source: RemoteSource, remoteXen2kvm: String, sshConfig: String?, reason: String, header: StreamHeader
    ) throws(ConversionError) {
        self.source = source.description
        self.remoteXen2kvm = remoteXen2kvm
        self.sshConfig = sshConfig
        self.reason = reason
        fingerprint = header.fingerprint
        described = try X2KReceiver.described(header)
    }

    /// What libblkid found in it, as the planner would have from a local copy (x2k only
    /// sends clean bare ext filesystems).
    var content: DiskContent { .bareFilesystem(described.filesystemType ?? "ext4") }

    /// The plan of the disk with `options`: the interrupted transfer's own when one is there
    /// to resume (its target holds part of the copy), else the planner's from the header.
    /// `fresh` says which (an interrupted plan has the caller's additions already).
    func plan(_ options: ConvertOptions) -> (Result<ConversionPlan, ConversionError>, fresh: Bool) {
        guard let remote = try? RemoteSource.parse(source) else {
            return (.failure(.failed("\(source) is not an ssh:// source")), false)
        }
        if let interrupted = X2KReceiver.interruptedPlan(of: remote, options: options) {
            return (.success(interrupted), false)
        }
        do {
            return (.success(try Planner.plan(options, described: described)), true)
        } catch {
            return (.failure(error), true)
        }
    }

    /// Receives the disk into `plan`'s target over a connection of its own (resuming an
    /// interrupted transfer), and checks the copy as a local convert does.
    func write(_ plan: ConversionPlan, progress: any ProgressReporter) async throws(ConversionError)
        -> ConversionResult
    {
        guard let remote = try RemoteSource.parse(source), let convert else {
            throw .failed("\(source): not planned for the x2k transport")
        }
        var options = X2KReceiver.Options(convert: convert, remoteXen2kvm: remoteXen2kvm)
        options.compress = compress
        options.planned = (plan, fingerprint)
        let connection = try await SSHConnection.open(remote.endpoint, configFile: sshConfig)
        do throws(ConversionError) {
            let done = try await X2KReceiver.convert(remote, options: options, over: connection, progress: progress)
            await connection.close()
            let transfer = done.transfer
            let resumed = transfer.resumedFrom > 0 ? ", resumed from filesystem byte \(transfer.resumedFrom)" : ""
            progress.note(
                "received \(source) by x2k straight into \(convert.target): \(transfer.bytesReceived) bytes over "
                    + "the link for \(transfer.dataBytes) data bytes in \(Int(transfer.seconds.rounded())) s\(resumed)")
            guard let result = done.result else { throw .failed("the x2k transfer wrote nothing") }
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}

extension MigrationPlan.Disk {
    /// Writes the disk's target by its plan: received by x2k when it is streamed, else
    /// converted from its source (a local disk or a received copy).
    public func copy(_ conversion: ConversionPlan, progress: any ProgressReporter, parser: ImageParser)
        async throws(ConversionError) -> ConversionResult
    {
        if let streamed { return try await streamed.write(conversion, progress: progress) }
        return try await Converter.run(conversion, progress: progress, parser: parser)
    }
}
