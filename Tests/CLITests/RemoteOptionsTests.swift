import TestSupport
import Testing

/// The options for a disk on a Xen host (RemoteOptions, --compress) are one declaration that
/// convert, migrate and fleet share: the same help in each, refused where nothing is remote.
@Suite struct RemoteOptionsTests {
    static let shared = ["--transport", "--remote-xen2kvm", "--ssh-config"]

    /// One option's block of `--help`: its line and the indented lines after it.
    static func helpBlock(_ option: String, in help: String) -> String? {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.firstIndex(where: { $0.hasPrefix("  \(option) ") }) else { return nil }
        let rest = lines[(first + 1)...].prefix { $0.hasPrefix("                          ") }
        return ([lines[first]] + rest).joined(separator: "\n")
    }

    @Test func convertMigrateAndFleetShowTheSameHelp() async throws {
        var blocks: [String: Set<String>] = [:]
        for command in ["convert", "migrate", "fleet"] {
            let run = try await Xen2KVMBinary.run([command, "--help"])
            #expect(run.status == 0, "\(run.stderr)")
            for option in Self.shared {
                let block = try #require(Self.helpBlock(option, in: run.stdout), "\(command) --help: no \(option)")
                blocks[option, default: []].insert(block)
            }
        }
        for option in Self.shared { #expect(blocks[option]?.count == 1, "\(option): \(blocks[option] ?? [])") }
    }

    /// Given to a run that reads nothing remote, each is a usage error that names them all.
    @Test(arguments: [
        ["--transport", "x2k"], ["--remote-xen2kvm", "/x"], ["--ssh-config", "/x"], ["--compress", "zstd"],
    ])
    func aLocalRunRefusesThem(_ option: [String]) async throws {
        let convert = try await Xen2KVMBinary.run(["convert", "a.img", "b.img"] + option)
        #expect(convert.status == 64, "\(convert.stderr)")
        #expect(
            convert.stderr.contains("--remote-xen2kvm and --compress are for an ssh:// SOURCE"), "\(convert.stderr)")
        let migrate = try await Xen2KVMBinary.run(["migrate", "web01.cfg", "--storage", "dir:/nonexistent"] + option)
        #expect(migrate.status == 64, "\(migrate.stderr)")
        #expect(migrate.stderr.contains("are for a guest on a Xen host (--from)"), "\(migrate.stderr)")
    }

    /// --compress goes with what can be x2k; fleet has no way to pass it on, so does not take it.
    @Test func compressNeedsATransportThatCanBeX2K() async throws {
        let convert = try await Xen2KVMBinary.run(
            ["convert", "ssh://root@xen1/dev/vg0/web01", "b.img", "--transport", "dd", "--compress", "zstd"])
        #expect(convert.status == 64, "\(convert.stderr)")
        #expect(convert.stderr.contains("--compress is for --transport x2k"), "\(convert.stderr)")
        let migrate = try await Xen2KVMBinary.run(
            [
                "migrate", "web01", "--from", "ssh://root@xen1", "--storage", "dir:/nonexistent", "--transport",
                "e2image",
                "--compress", "zstd",
            ])
        #expect(migrate.status == 64, "\(migrate.stderr)")
        #expect(migrate.stderr.contains("--compress is for --transport x2k"), "\(migrate.stderr)")
        let fleet = try await Xen2KVMBinary.run(["fleet", "fleet.json", "--compress", "zstd"])
        #expect(fleet.status == 64, "\(fleet.stderr)")
        #expect(fleet.stderr.contains("Unknown option '--compress'"), "\(fleet.stderr)")
    }
}
