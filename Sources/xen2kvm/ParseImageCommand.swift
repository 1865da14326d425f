import ArgumentParser
import BlockProbe
import CLinuxIO
import Conversion
import ExtFS
import FoundationEssentials
import GuestFixes
import HostSystem
import Inspection

#if canImport(Glibc)
    import Glibc
#endif

/// The child the CLI reads a guest image in (ParserChild, ImageParser.contained): contained
/// first, then the work, answered as one line (and the copy runs as data lines before it).
/// Not for operators: hidden from --help.
struct ParseImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ParserChild.subcommand, abstract: "xen2kvm's contained image parser (internal).",
        shouldDisplay: false)

    enum Work: String, ExpressibleByArgument {
        /// `inspect`'s report of a source.
        case inspect
        /// convert's plan.
        case plan
        /// The used-block runs a block copy reads.
        case runs
        /// The filesystem facts the rsync method makes a filesystem from.
        case facts
        /// migrate's libblkid probe of a Xen disk.
        case probe
        /// `fix`'s inspection of a mounted guest (the input is its root directory).
        case guest
        /// `inspect --edits`: inspect, then plan the guest edits from the filesystem inspection read.
        case edits
    }

    @Argument var work: Work
    /// plan: ConvertOptions as JSON; guest: the mounted guest's root; otherwise an image's path.
    @Argument var input: String

    typealias InspectAnswer = ParserChild.Answer<InspectionReport, String>
    typealias EditsAnswer = ParserChild.Answer<InspectOutput, String>
    typealias PlanAnswer = ParserChild.Answer<ConversionPlan, ConversionError>
    typealias RunsAnswer = ParserChild.Answer<CopyRuns.Header, String>
    typealias FactsAnswer = ParserChild.Answer<FilesystemFacts, String>
    typealias ProbeAnswer = ParserChild.Answer<ProbeResult, String>
    typealias GuestAnswer = ParserChild.Answer<GuestReport, String>

    func run() async throws {
        // The guest's own view first: after it, no path names a host file (and the filter
        // refuses chroot, the way out).
        let guest = work == .guest ? try ChrootedGuest.enter(input) : nil
        try ParserChild.containSelf()
        Self.testHooks(work)
        switch work {
        case .inspect:
            Self.answer(InspectAnswer.self) { () throws(InspectionError) in try Inspector.inspect(input) }
        case .edits:
            // Planned here, in the contained child: the edits parse the guest's files too.
            do {
                let (report, filesystem) = try Inspector.inspectKeepingFilesystem(input)
                let edits = filesystem.map { EditPreview.plan($0, report: report) } ?? .noGuest(report)
                ParserChild.answer(EditsAnswer.value(InspectOutput(report: report, edits: edits)))
            } catch {
                ParserChild.answer(EditsAnswer.problem(error.description))
            }
        case .plan:
            let options = try JSONDecoder().decode(ConvertOptions.self, from: Data(input.utf8))
            do {
                ParserChild.answer(PlanAnswer.value(try Planner.plan(options)))
            } catch {
                ParserChild.answer(PlanAnswer.problem(error))
            }
        case .runs:
            Self.answer(RunsAnswer.self) { () throws(ExtFSError) in
                let runs = try ExtFilesystem(path: input).copyRuns()
                runs.encode { ParserChild.data($0) }
                return runs.header
            }
        case .facts:
            Self.answer(FactsAnswer.self) { () throws(ExtFSError) in try ExtFilesystem(path: input).facts() }
        case .probe:
            Self.answer(ProbeAnswer.self) { () throws(BlockProbeError) in try BlockProbe.probe(input) }
        case .guest:
            if let guest { ParserChild.answer(GuestAnswer.value(GuestInspector.inspect(guest))) }
        }
    }

    /// The value `work` gives, or the problem it throws, in words.
    static func answer<Value: Codable & Sendable, Failure: Error & CustomStringConvertible>(
        _ type: ParserChild.Answer<Value, String>.Type, _ work: () throws(Failure) -> Value
    ) {
        do {
            ParserChild.answer(type.value(try work()))
        } catch {
            ParserChild.answer(type.problem(error.description))
        }
    }

    /// XEN2KVM_TEST_PARSER=crash|hang|probe|i386[@WORK]: what tests make the contained parser
    /// do first, in every work or only in WORK (a crash and a hang stand for a C library's on a
    /// hostile image; probe tries what the filter denies and says how each try ended; i386
    /// calls getpid through int 0x80, which the filter answers by killing the child).
    static func testHooks(_ work: Work) {
        guard let value = getenv("XEN2KVM_TEST_PARSER").map({ String(cString: $0) }) else { return }
        let parts = value.split(separator: "@", maxSplits: 1).map(String.init)
        guard let hook = parts.first, parts.count == 1 || parts[1] == work.rawValue else { return }
        switch hook {
        case "crash": UnsafeMutablePointer<Int>(bitPattern: 8)!.pointee = 1
        case "hang": while true { sleep(60) }
        case "probe":
            let tries: [(String, () -> Int32)] = [
                ("exec", { execv("/bin/true", [nil]) }),
                ("socket", { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }),
                ("open-for-writing", { open("/tmp/xen2kvm-parser-probe", O_WRONLY | O_CREAT, 0o600) }),
                ("unlink", { unlink("/tmp/xen2kvm-parser-probe-absent") }),
                ("fork", { fork() }),
                ("x32", { Int32(clamping: xen2kvm_test_x32_getpid()) }),
            ]
            for (name, attempt) in tries {
                let result = attempt()
                say("probe \(name): \(result < 0 ? String(cString: strerror(errno)) : "allowed")")
                if result == 0 && name == "fork" { _exit(0) }
            }
        case "i386":
            say("probe i386: getpid through int 0x80")
            let result = xen2kvm_test_i386_getpid()
            say("probe i386: \(result < 0 ? String(cString: strerror(errno)) : "allowed")")
        default: break
        }
    }

    /// A line on standard error, written at once (before whatever comes next can kill us).
    static func say(_ text: String) {
        let line = text + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
