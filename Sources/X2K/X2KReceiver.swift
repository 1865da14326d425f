import CDecompress
import Conversion
import FoundationEssentials
import HostSystem
import Remote
import X2KStream

#if canImport(Glibc)
    import Glibc
#endif

/// The KVM side of the x2k transport: runs `xen2kvm send` on the Xen host over the ssh
/// connection, plans the target from the stream's header, writes each data record at its
/// offset in partition 1, records every checkpoint next to the target, and once the end
/// record has verified checks the copy and writes the partition table last.
///
/// A stream that stops early (a damaged record, a gap, a truncation, either side killed, the
/// link dropped) leaves the target without a partition table and its state at the last
/// checkpoint: the same command again goes on from there when the source's fingerprint and
/// the options are unchanged, and otherwise starts over and says why.
public enum X2KReceiver {
    public struct Options: Sendable {
        public var convert: ConvertOptions
        /// The xen2kvm on the Xen host (what the probe found).
        public var remoteXen2kvm: String
        public var compress = false
        public var dryRun = false
        /// Adds the caller's checks to the plan made from the header (the guest fixes' own).
        public var amendPlan: @Sendable (inout ConversionPlan) -> Void = { _ in }
        /// The plan made beforehand from this source's header (`migrate --from` plans every
        /// disk first, `header(of:)`): used in place of one made here, when the stream's
        /// fingerprint is still `fingerprint`; otherwise the source changed and it fails.
        public var planned: (plan: ConversionPlan, fingerprint: String)?

        public init(convert: ConvertOptions, remoteXen2kvm: String) {
            self.convert = convert
            self.remoteXen2kvm = remoteXen2kvm
        }
    }

    /// What the transfer did, for the summary and `--json`.
    public struct Transfer: Sendable, Codable {
        public var source: String
        public var fingerprint: String
        /// The filesystem byte this run began at (a resumed transfer's checkpoint), or 0.
        public var resumedFrom: UInt64
        /// Why an interrupted transfer did not resume, when one was there.
        public var startedOver: String?
        /// Bytes that came over ssh in this run (frames included), measured where they land.
        public var bytesReceived: UInt64
        /// Data bytes (the filesystem's, uncompressed) that came in this run.
        public var dataBytes: UInt64
        /// The filesystem's used bytes, all of which the target holds now.
        public var usedBytes: UInt64
        public var seconds: Double
    }

    public struct Outcome: Sendable {
        public var plan: ConversionPlan
        /// nil for a dry run.
        public var result: ConversionResult?
        public var transfer: Transfer
    }

    public static func convert(
        _ source: RemoteSource, options: Options, over connection: SSHConnection, progress: any ProgressReporter
    ) async throws(ConversionError) -> Outcome {
        let session = Session(source: source, options: options, progress: progress)
        session.lookForInterruptedTransfer()
        let ended: SSHConnection.Ended
        do {
            ended = try await connection.stream(session.command()) { bytes throws(ConversionError) in
                try session.receive(bytes)
            }
        } catch {
            session.target?.close()
            if session.planOnly, let plan = session.plan { return session.outcome(plan, result: nil) }
            throw session.explained(error)
        }
        session.target?.close()
        TraceTiming.mark("x2k: stream received")
        session.timing.report(session.decoder.streamBytes)
        guard session.decoder.ended else {
            let cut = StreamError.truncated(
                streamBytes: session.decoder.streamBytes, covered: session.decoder.covered
            ).description
            let why =
                ended.status == 0
                ? cut : "xen2kvm send on \(source.endpoint.host) failed (exit \(ended.status)): \(ended.said); \(cut)"
            throw session.explained(.failed(why))
        }
        progress.end()
        guard let target = session.target, let plan = session.plan else {
            throw .failed("the x2k stream ended before a target was opened")
        }
        do {
            let result = try await target.finish(progress: progress)
            TraceTiming.mark("x2k: final sync, e2fsck -fn, partition table")
            X2KState.remove(for: options.convert.target)
            return session.outcome(plan, result: result)
        } catch {
            if case .interrupted = error { throw session.explained(error) }
            // A copy that fails its check is no use to resume: it goes, with its state.
            session.giveUp()
            throw error
        }
    }

    /// The source as its header describes it, for a plan made here (`Planner.plan(_:described:)`).
    public static func described(_ header: StreamHeader) throws(ConversionError) -> DescribedSource {
        do {
            return try JSONDecoder().decode(DescribedSource.self, from: Data(header.sourceFacts.utf8))
        } catch {
            throw .failed("the x2k header's source facts cannot be read: \(error)")
        }
    }

    /// Only the header of `source`'s stream (the sender is stopped once it is in): what a
    /// plan made before the transfer needs. The sender reads the block bitmaps for it.
    public static func header(of source: RemoteSource, remoteXen2kvm: String, over connection: SSHConnection)
        async throws(ConversionError) -> StreamHeader
    {
        struct HeaderIn: Error {}
        let command = RemoteCommand.send.line([remoteXen2kvm, "send", "--", source.path])
        var decoder = StreamDecoder()
        var failure: String?
        let ended: SSHConnection.Ended
        do {
            ended = try await connection.stream(command) { bytes in
                try decoder.feed(bytes) { record in
                    if record.kind == .failure { failure = String(decoding: record.payload, as: UTF8.self) }
                    if record.kind == .header { throw HeaderIn() }
                }
            }
        } catch {
            if let header = decoder.header { return header }
            throw error
        }
        if let header = decoder.header { return header }
        throw .failed(
            "xen2kvm send on \(source.endpoint.host) sent no x2k header (exit \(ended.status)): "
                + (failure ?? ended.said))
    }

    /// The plan of the interrupted transfer from `source` into `options.target` that the next
    /// transfer resumes (same source, target and options); nil when there is none.
    public static func interruptedPlan(of source: RemoteSource, options: ConvertOptions) -> ConversionPlan? {
        let session = Session(
            source: source, options: Options(convert: options, remoteXen2kvm: ""), progress: SilentProgress())
        guard let old = X2KState.load(for: options.target), old.source == source.description,
            old.names(options.target), old.options == session.optionsKey
        else { return nil }
        return old.plan
    }

    /// One transfer's moving parts, shared with the stream's closure.
    final class Session {
        let source: RemoteSource
        let options: Options
        let progress: any ProgressReporter
        var decoder = StreamDecoder()
        var state: X2KState?
        /// The interrupted transfer to continue, when its options and target still hold.
        var resume: X2KState?
        var startedOver: String?
        var plan: ConversionPlan?
        var target: StreamedTarget?
        var planOnly: Bool { options.dryRun }
        let started = ContinuousClock.now
        var timing = ReceiveTiming()
        private var inflated: [UInt8] = []
        /// Data bytes before this run's first record (those up to the resumed checkpoint).
        private var dataBefore: UInt64 = 0

        init(source: RemoteSource, options: Options, progress: any ProgressReporter) {
            self.source = source
            self.options = options
            self.progress = progress
        }

        var targetPath: String { options.convert.target }

        /// The options a plan is made from, as a key: another --table or size is another plan.
        var optionsKey: String {
            var convert = options.convert
            convert.force = false
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return (try? encoder.encode(convert)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }

        func lookForInterruptedTransfer() {
            guard let old = X2KState.load(for: targetPath) else { return }
            if old.source != source.description {
                startedOver = "the interrupted transfer into \(targetPath) was from \(old.source)"
            } else if !old.names(targetPath) {
                startedOver = "\(targetPath) is not the target the interrupted transfer wrote"
            } else if old.options != optionsKey {
                startedOver = "the options differ from the interrupted transfer's"
            } else {
                resume = old
                return
            }
            if !planOnly { abandon(old) }
        }

        /// Removes an interrupted transfer's state, and its target when xen2kvm created it.
        func abandon(_ old: X2KState) {
            if old.plan.target.created && old.names(targetPath) { unlink(targetPath) }
            X2KState.remove(for: targetPath)
        }

        func giveUp() {
            target?.close()
            if let state { abandon(state) }
        }

        func command() -> String {
            var words = [options.remoteXen2kvm, "send"]
            if let resume { words += ["--resume", resume.fingerprint, "--resume-from", String(resume.checkpoint)] }
            if options.compress { words += ["--compress", "zstd"] }
            words += ["--", source.path]
            return RemoteCommand.send.line(words)
        }

        func receive(_ bytes: UnsafeRawBufferPointer) throws(ConversionError) {
            if Cancellation.signal != nil { throw .interrupted("stopped while receiving \(source)") }
            timing.arrived(bytes.count)
            defer { timing.handled() }
            // The records are handled after the decoder is done with these bytes (it may not
            // be read while it changes); a bad record after good ones fails before they are.
            var records: [StreamRecord] = []
            do {
                try decoder.feed(bytes) { records.append($0) }
                timing.decoded()
                for record in records { try handle(record) }
            } catch let error as ConversionError {
                throw error
            } catch {
                throw .failed("\(error)")
            }
        }

        private func handle(_ record: StreamRecord) throws(ConversionError) {
            switch record.kind {
            case .header:
                TraceTiming.mark("x2k: header received (the sender read the source's bitmaps)")
                try begin(decoder.header!)
            case .data:
                guard let target else { return }
                if record.flags.contains(.zstd) { try inflate(record) }
                var failure: ConversionError?
                (record.flags.contains(.zstd) ? inflated : record.payload).withUnsafeBytes { raw in
                    do { try target.write(raw, atFilesystemOffset: record.offset) } catch {
                        failure = (error as? ConversionError) ?? .failed("\(error)")
                    }
                }
                if let failure { throw failure }
                progress.advance(done: decoder.dataBytes)
            case .zero:
                if record.flags.contains(.mustReadAsZero) {
                    try target?.zero(record.offset..<record.offset + record.length)
                }
            case .checkpoint:
                guard let target, var state else { return }
                let syncing = ContinuousClock.now
                try target.sync()
                timing.synced(since: syncing)
                state.checkpoint = record.offset
                state.dataCheckpointed = dataBefore + record.length
                state.bytesMoved = (resume?.bytesMoved ?? 0) + decoder.streamBytes
                try state.save(for: targetPath)
                self.state = state
            case .end, .failure: break
            }
        }

        /// The header: resume or start over, plan the target, open it, record the state.
        private func begin(_ header: StreamHeader) throws(ConversionError) {
            if let old = resume, header.resumedFrom == 0 {
                startedOver = header.notResumed ?? "the sender started from the beginning"
                resume = nil
                if !planOnly { abandon(old) }
            }
            if let startedOver { progress.note("starting over: \(startedOver)") }
            let plan: ConversionPlan
            if let resume {
                plan = resume.plan
                guard plan.source.filesystemBytes == header.filesystemBytes else {
                    throw .failed("the resumed stream's filesystem size differs from the plan's")
                }
            } else if let planned = options.planned {
                guard planned.fingerprint == header.fingerprint else {
                    throw .failed(
                        "\(source) changed since it was planned (its fingerprint was \(planned.fingerprint), is now "
                            + "\(header.fingerprint)): run the command again to plan it anew")
                }
                plan = planned.plan
            } else {
                var made = try Planner.plan(options.convert, described: try X2KReceiver.described(header))
                options.amendPlan(&made)
                plan = made
            }
            self.plan = plan
            if planOnly { throw .interrupted("a dry run plans and stops") }
            if let refusal = plan.refusal { throw .refused(refusal.detail) }
            guard plan.method == .blocks else {
                throw .refused(
                    "the x2k transport writes the used blocks into partition 1 as they are (method blocks); this "
                        + "target needs method \(plan.method.rawValue) (\(plan.methodReason)): use --transport e2image")
            }
            if let resume {
                target = try StreamedTarget.resume(plan, wasNew: resume.targetWasNew)
                state = resume
                dataBefore = resume.dataCheckpointed
                progress.note(
                    "resuming from filesystem byte \(header.resumedFrom), the last checkpoint (\(resume.dataCheckpointed) "
                        + "of \(header.usedBytes) data bytes were there)")
            } else {
                let opened = try StreamedTarget.begin(plan)
                target = opened
                var fresh = X2KState(
                    source: source.description, options: optionsKey, fingerprint: header.fingerprint, plan: plan,
                    targetWasNew: opened.isNew, targetDevice: 0, targetInode: 0, targetBorn: 0, checkpoint: 0,
                    dataCheckpointed: 0, dataTotal: header.usedBytes, bytesMoved: 0)
                fresh.recordTarget(targetPath)
                try fresh.save(for: targetPath)
                state = fresh
            }
            progress.begin(
                step: "receiving \(source) (x2k)", total: header.usedBytes - min(dataBefore, header.usedBytes))
        }

        private func inflate(_ record: StreamRecord) throws(ConversionError) {
            let length = Int(record.length)
            if inflated.count != length { inflated = [UInt8](repeating: 0, count: length) }
            let got = inflated.withUnsafeMutableBytes { out in
                record.payload.withUnsafeBytes { ZSTD_decompress(out.baseAddress, length, $0.baseAddress, $0.count) }
            }
            guard ZSTD_isError(got) == 0, got == length else {
                throw .failed(
                    StreamError.corrupt(
                        record: record.sequence, streamOffset: decoder.streamBytes,
                        what: "does not decompress to its \(length) bytes"
                    ).description)
            }
        }

        /// The error, with what the operator can do now: rerun to resume, when a checkpoint
        /// was recorded.
        func explained(_ error: ConversionError) -> ConversionError {
            guard let state else { return error }
            let hint =
                "; the partition table was not written. \(targetPath) is kept with its state (\(X2KState.path(for: targetPath))): "
                + "run the same command again to resume from filesystem byte \(state.checkpoint)"
            switch error {
            case .refused(let text): return .refused(text + hint)
            case .failed(let text): return .failed(text + hint)
            case .interrupted(let text): return .interrupted(text + hint)
            }
        }

        func outcome(_ plan: ConversionPlan, result: ConversionResult?) -> Outcome {
            let header = decoder.header
            return Outcome(
                plan: plan, result: result,
                transfer: Transfer(
                    source: source.description, fingerprint: header?.fingerprint ?? "",
                    resumedFrom: header?.resumedFrom ?? 0, startedOver: startedOver,
                    bytesReceived: decoder.streamBytes, dataBytes: decoder.dataBytes,
                    usedBytes: header?.usedBytes ?? 0,
                    seconds: (ContinuousClock.now - started).inSeconds))
        }
    }
}

extension Duration {
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
