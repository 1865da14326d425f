import ArgumentParser
import Conversion
import GuestFixes
import HostSystem
import Migration
import Remote
import X2K

extension ConvertCommand {
    /// What a remote source gave: a staging file to convert here, or (x2k) the converted
    /// target, or the plan of a dry run.
    enum Remotely {
        case staged(RemoteFetch.Received)
        case converted(ConversionPlan, ConversionResult)
        case planned(ConversionPlan)
    }

    /// One ssh connection: the probe, the transport's choice (said), then the transfer.
    func receive(_ disk: RemoteSource, options: ConvertOptions, output: ConvertOutput) async throws -> Remotely {
        var fetch = RemoteFetch.Options(
            stagingDirectory: RemoteFetch.stagingDirectory(target: target, temporaryDirectory: tempDir))
        remote.apply(to: &fetch)
        let connection: SSHConnection
        do {
            connection = try await SSHConnection.open(disk.endpoint, configFile: remote.sshConfig)
        } catch {
            output.failure(error, plan: nil)
            throw ExitCode(error.exitCode)
        }
        do {
            let choice = try await RemoteFetch.choose(
                disk, over: connection, options: fetch, progress: output.progress)
            TraceTiming.mark("remote probed, transport \(choice.transport.rawValue) chosen")
            if choice.transport == .x2k {
                var x2k = X2KReceiver.Options(
                    convert: options, remoteXen2kvm: choice.remoteXen2kvm ?? remote.remoteXen2kvm)
                x2k.compress = compression.zstd
                x2k.dryRun = dryRun
                let (noFix, fixOptions) = (noFix, fix.options(for: target, dryRun: false))
                x2k.amendPlan = { GuestFixPlanning.addChecks(to: &$0, noFix: noFix, fix: fixOptions) }
                let done = try await X2KReceiver.convert(
                    disk, options: x2k, over: connection, progress: output.progress)
                await connection.close()
                output.received(done.transfer)
                guard let result = done.result else { return .planned(done.plan) }
                return .converted(done.plan, result)
            }
            if compression.compress != nil {
                throw ConversionError.refused(
                    "--compress is for the x2k transport; \(choice.transport.rawValue) was chosen: \(choice.reason)")
            }
            let done = try await RemoteFetch.fetch(
                disk, choice: choice, over: connection, options: fetch, progress: output.progress)
            await connection.close()
            output.received(done)
            return .staged(done)
        } catch {
            await connection.close()
            let problem = (error as? ConversionError) ?? .failed("\(error)")
            output.failure(problem, plan: nil)
            throw ExitCode(problem.exitCode)
        }
    }
}

extension ConvertOutput {
    /// An x2k transfer, done (on stderr, as the other transports' line).
    func received(_ transfer: X2KReceiver.Transfer) {
        guard !json && !quiet else { return }
        let rate = transfer.seconds > 0 ? UInt64(Double(transfer.bytesReceived) / transfer.seconds) : 0
        let resumed = transfer.resumedFrom > 0 ? ", resumed from filesystem byte \(transfer.resumedFrom)" : ""
        RawOutput.stderr(
            "received \(transfer.source) by x2k: \(ByteCount.text(transfer.bytesReceived)) over the link for "
                + "\(ByteCount.text(transfer.dataBytes)) of data in \(ByteCount.seconds(transfer.seconds)) "
                + "(\(ByteCount.text(rate))/s)\(resumed); fingerprint \(transfer.fingerprint)\n")
    }
}
