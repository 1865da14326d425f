import ArgumentParser
import Conversion
import FoundationEssentials
import GuestFixes
import HostSystem
import Inspection

#if canImport(Glibc)
    import Glibc
#endif

/// The child `inspect` and `convert` read a guest image in (ParserChild): contained first, then
/// the inspection or the plan, answered as one line. Not for operators: hidden from --help.
struct ParseImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ParserChild.subcommand, abstract: "xen2kvm's contained image parser (internal).",
        shouldDisplay: false)

    /// edits: inspect, then plan the guest edits from the filesystem inspection read.
    enum Work: String, ExpressibleByArgument { case inspect, edits, plan }

    @Argument var work: Work
    /// inspect, edits: the source; plan: ConvertOptions as JSON.
    @Argument var input: String

    typealias InspectAnswer = ParserChild.Answer<InspectionReport, String>
    typealias EditsAnswer = ParserChild.Answer<InspectOutput, String>
    typealias PlanAnswer = ParserChild.Answer<ConversionPlan, ConversionError>

    func run() async throws {
        try ParserChild.containSelf()
        Self.testHooks()
        switch work {
        case .inspect:
            do {
                ParserChild.answer(InspectAnswer.value(try Inspector.inspect(input)))
            } catch {
                ParserChild.answer(InspectAnswer.problem(error.description))
            }
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
        }
    }

    /// XEN2KVM_TEST_PARSER=crash|hang|probe: what tests make the contained parser do first
    /// (a crash and a hang stand for a C library's on a hostile image; probe tries what the
    /// filter denies and says how each try ended).
    static func testHooks() {
        guard let hook = getenv("XEN2KVM_TEST_PARSER").map({ String(cString: $0) }) else { return }
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
            ]
            for (name, attempt) in tries {
                let result = attempt()
                let line = "probe \(name): \(result < 0 ? String(cString: strerror(errno)) : "allowed")\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
                if result == 0 && name == "fork" { _exit(0) }
            }
        default: break
        }
    }
}
