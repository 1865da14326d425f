import ArgumentParser
import Fleet
import Migration
import Remote

/// How a disk on a Xen host comes over ssh: the options `convert ssh://…`, `migrate --from`
/// and `fleet` share, their help written once. Which other options go with them (a staging
/// directory, --compress) stays each command's.
struct RemoteOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "For a disk on a Xen host: how it comes over, auto (picks one and says why), x2k (xen2kvm there sends "
                + "the used blocks, resumable), e2image (the used blocks of a clean ext filesystem) or dd (the "
                + "whole volume)."))
    var transport: Transport = .auto

    @Option(help: "For x2k: the xen2kvm on the Xen host (a name on its PATH or an absolute path).")
    var remoteXen2kvm = Self.defaultRemoteXen2kvm

    @Option(help: "For a Xen host: the ssh configuration file to use (ssh -F).")
    var sshConfig: String?

    static let defaultRemoteXen2kvm = "xen2kvm"

    /// Whether any of them was given: a run that reads nothing remote refuses them.
    var anyGiven: Bool { transport != .auto || remoteXen2kvm != Self.defaultRemoteXen2kvm || sshConfig != nil }

    /// The usage error for remote options on a run that reads nothing remote; `others` are the
    /// command's own options that go with them.
    static func onlyRemote(for what: String, others: [String] = []) -> ValidationError {
        let names = ["--transport", "--ssh-config"] + others + ["--remote-xen2kvm", "--compress"]
        return ValidationError("\(names.dropLast().joined(separator: ", ")) and \(names.last!) are for \(what)")
    }

    /// --compress goes only with a transport that can be x2k.
    func check(_ compression: CompressOption) throws {
        if compression.compress != nil && (transport == .e2image || transport == .dd) {
            throw ValidationError("--compress is for --transport x2k (or auto, when it picks x2k)")
        }
    }

    /// The one mapping of these options into the library's settings.
    func apply<Settings: RemoteSettings>(to settings: inout Settings) {
        settings.transport = transport
        settings.remoteXen2kvm = remoteXen2kvm
        settings.sshConfig = sshConfig
    }
}

/// `--compress`: x2k's data records on the link, for convert and migrate (the KVM side asks)
/// and `send` (the Xen side compresses).
struct CompressOption: ParsableArguments {
    @Option(help: "For x2k: compress the data on the link (zstd).")
    var compress: Compression?

    var zstd: Bool { compress == .zstd }
}

/// `--compress`'s values.
enum Compression: String, ExpressibleByArgument {
    case zstd
}

extension Transport: ExpressibleByArgument {}

/// The library's settings that carry the remote options, set by `RemoteOptions.apply(to:)`.
protocol RemoteSettings {
    var transport: Transport { get set }
    var remoteXen2kvm: String { get set }
    var sshConfig: String? { get set }
}

extension RemoteFetch.Options: RemoteSettings {}
extension RemoteMigration.Settings: RemoteSettings {}
extension FleetSettings: RemoteSettings {}
