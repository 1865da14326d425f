import Conversion
import ExtFS
import FoundationEssentials
import GuestFixes
import HostSystem
import Inspection
import Synchronization

/// Everything the CLI reads from a guest image, read in a contained child (ParserChild,
/// `xen2kvm parse-image WORK INPUT`): a hostile image that crashes or hangs a parser there
/// is a failure that says the image is damaged, never xen2kvm dying.
extension ImageParser {
    static let contained = ImageParser(
        plan: { options in
            do {
                let input = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
                switch try await ParserChild.run(["plan", input], answer: ParseImageCommand.PlanAnswer.self) {
                case .value(let plan): return .success(plan)
                case .problem(let error): return .failure(error)
                }
            } catch {
                return .failure(.failed("\(error)"))
            }
        },
        copyRuns: { path in
            let decoder = RunsDecoder()
            do {
                let answer = try await ParserChild.run(
                    ["runs", path], answer: ParseImageCommand.RunsAnswer.self, onData: { decoder.take($0) })
                switch answer {
                case .value(let header):
                    return decoder.finish(header).mapError {
                        .failed("the image parser's block runs of \(path) did not arrive whole: \($0)")
                    }
                case .problem(let text): return .failure(.failed(ImageParser.copyRunsFailure(path, text)))
                }
            } catch {
                return .failure(.failed("\(error)"))
            }
        },
        facts: { path in
            do {
                switch try await ParserChild.run(["facts", path], answer: ParseImageCommand.FactsAnswer.self) {
                case .value(let facts): return .success(facts)
                case .problem(let text): return .failure(.failed("reading the source filesystem: \(text)"))
                }
            } catch {
                return .failure(.failed("\(error)"))
            }
        },
        probe: { path in
            // A probe that fails (an unreadable disk, a damaged one) leaves the content to the
            // planner, which reads the disk again and says why it cannot.
            guard
                case .value(let probe)? = try? await ParserChild.run(
                    ["probe", path], answer: ParseImageCommand.ProbeAnswer.self)
            else { return nil }
            return probe
        })
}

extension GuestInspection {
    static let contained = GuestInspection { root in
        do {
            switch try await ParserChild.run(["guest", root], answer: ParseImageCommand.GuestAnswer.self) {
            case .value(let report): return .success(report)
            case .problem(let text): return .failure(.damaged("cannot inspect the guest: \(text)"))
            }
        } catch {
            return .failure(.damaged("\(error)"))
        }
    }
}

/// The copy runs' decoder, fed from the child's output as it comes.
final class RunsDecoder: Sendable {
    private let decoder = Mutex(CopyRuns.Decoder())

    func take(_ line: Substring) { decoder.withLock { $0.take(line) } }

    func finish(_ header: CopyRuns.Header) -> Result<CopyRuns, CopyRuns.Garbled> {
        decoder.withLock { $0.finish(header) }
    }
}
