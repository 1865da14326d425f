import Conversion
import Foundation
import GuestSession
import TestSupport
import Testing

// The i386 and x32 ABIs are x86-64's.
#if arch(x86_64)
    /// A 32-bit guest (EL5 and EL6 i386 guests are still in fleets) runs its programs through the
    /// kernel's i386 table, with numbers of its own; an x86-64 program reaches the x32 table by a
    /// bit in the number. The guest programs' seccomp filter has an i386 section and refuses every
    /// x32 call: Fixtures/programs/abi-calls.c, built at test time (`gcc -m32 -static` for i386,
    /// needing gcc-multilib; natively for x32), makes each denied call, and getpid and write, which
    /// must work through i386 (a filter that kills every i386 call fails here too). Each call's
    /// arguments make the kernel itself refuse it harmlessly with another errno than EPERM — the
    /// control run proves it on this host — so EPERM is the filter's answer.
    @Suite struct ForeignABIGuestProgramTests {
        enum ABI: String, CaseIterable, Sendable {
            case i386, x32
        }

        /// What abi-calls makes that the filter denies (denied_syscalls.h; unshare and clone with
        /// CLONE_NEWUSER).
        static let denied = [
            "init_module", "finit_module", "mount", "unshare", "clone", "ptrace", "keyctl", "kexec_load", "bpf",
        ]
        /// What it makes that the filter lets through, for i386; for x32 these are refused too.
        static let allowed = ["getpid", "write"]

        /// Without any filter, as host root: the kernel's own answer to each denied call is not
        /// EPERM, so the EPERM of the runs below can only be the filter's.
        @Test(.requires(root: true, tools: ["gcc"]), arguments: ABI.allCases)
        func withoutTheFilterTheKernelAnswersOtherwise(_ abi: ABI) async throws {
            let dir = try TemporaryDirectory(prefix: "xen2kvm-abi")
            let program = try await Self.build(abi, in: dir)
            let run = try await Command.run(program, Self.arguments(abi))
            #expect(run.status == 0, "\(run.stderr)")
            let calls = Self.calls(run.stdout)
            for name in Self.denied {
                #expect(calls[name] != nil && calls[name] != "EPERM", "\(name): \(run.stdout)")
            }
            if abi == .i386 {
                for name in Self.allowed { #expect(calls[name] == "ok", "\(name): \(run.stdout)") }
            }
        }

        /// The filter alone (built from Sources/CLinuxIO's Seccomp*.c into a small launcher), as
        /// host root outside any namespace: no missing capability can answer EPERM in its place.
        @Test(.requires(root: true, tools: ["gcc"]), arguments: ABI.allCases)
        func theFilterAloneRefusesEachDeniedCall(_ abi: ABI) async throws {
            let dir = try TemporaryDirectory(prefix: "xen2kvm-abi")
            let program = try await Self.build(abi, in: dir)
            let launcher = dir.file("with-guest-filter")
            let sources = "\(Fixtures.packageRoot)/Sources/CLinuxIO"
            try await Command.check(
                "gcc",
                [
                    "-O1", "-I", sources, "-I", "\(sources)/include", "-o", launcher,
                    "\(Fixtures.packageRoot)/Fixtures/programs/with-guest-filter.c", "\(sources)/Seccomp.c",
                    "\(sources)/SeccompNative.c", "\(sources)/SeccompI386.c",
                ])
            let run = try await Command.run(launcher, [program] + Self.arguments(abi))
            #expect(run.status == 0, "\(run.stderr)")
            Self.expectRefused(abi, run.stdout)
        }

        /// In the sandbox, as a guest's own program.
        @Test(.requires(root: true, tools: ["mke2fs", "losetup", "gcc"]), arguments: ABI.allCases)
        func aGuestProgramIsRefusedEachDeniedCall(_ abi: ABI) async throws {
            let dir = try TemporaryDirectory(prefix: "xen2kvm-abi")
            let program = try await Self.build(abi, in: dir)
            let tree = dir.file("tree")
            for sub in ["bin", "tmp", "dev", "proc", "sys", "etc"] {
                try FileManager.default.createDirectory(atPath: "\(tree)/\(sub)", withIntermediateDirectories: true)
            }
            try FileManager.default.copyItem(atPath: program, toPath: "\(tree)/abi-calls")
            let source = dir.file("source.img")
            try await Fixtures.makeImage(from: tree, at: source, size: "64M")
            let disk = dir.file("kvm.img")
            _ = try await Converter.run(
                try Planner.plan(ConvertOptions(source: source, target: disk)), progress: SilentProgress())
            let session = try await GuestSession.open(disk, readOnly: false)
            defer { session.close() }
            // A loaded CI machine may take seconds to build a sandbox.
            session.programs.limits.seconds = 120
            let run = try await session.run("/abi-calls", Self.arguments(abi), allowFailure: true)
            #expect(run.contained == true)
            #expect(run.exitStatus == 0, "exit \(run.exitStatus):\n\(run.output)")
            Self.expectRefused(abi, run.output)
        }

        /// Every denied call failed with the filter's EPERM; through i386 getpid and write worked,
        /// through x32 they were refused as well (no x32 call is let through).
        static func expectRefused(_ abi: ABI, _ output: String) {
            let calls = calls(output)
            for name in denied { #expect(calls[name] == "EPERM", "\(name): \(output)") }
            for name in allowed { #expect(calls[name] == (abi == .i386 ? "ok" : "EPERM"), "\(name): \(output)") }
        }

        /// abi-calls built for `abi`, static (it runs inside guests with no C library of ours).
        static func build(_ abi: ABI, in dir: TemporaryDirectory) async throws -> String {
            let program = dir.file("abi-calls-\(abi.rawValue)")
            let flags = abi == .i386 ? ["-m32"] : []
            let source = "\(Fixtures.packageRoot)/Fixtures/programs/abi-calls.c"
            let built = try await Command.run("gcc", flags + ["-static", "-O1", "-o", program, source])
            guard built.succeeded else {
                throw CommandError.failed(
                    command:
                        "gcc \(flags.joined()) -static abi-calls.c (for i386: install gcc-multilib, scripts/install-deps)",
                    result: built)
            }
            return program
        }

        static func arguments(_ abi: ABI) -> [String] { abi == .x32 ? ["x32"] : [] }

        /// "CALL name answer" lines, by name.
        static func calls(_ output: String) -> [String: String] {
            var calls: [String: String] = [:]
            for line in output.split(separator: "\n") {
                let words = line.split(separator: " ")
                if words.count == 3 && words[0] == "CALL" { calls[String(words[1])] = String(words[2]) }
            }
            return calls
        }
    }
#endif
