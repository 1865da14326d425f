import BootCheck
import Conversion
import GuestFixes
import HostSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What a migration did.
public struct MigrationResult: Sendable, Codable {
    public struct Disk: Sendable, Codable {
        public var xen: String
        public var target: String
        public var result: ConversionResult
    }

    public var disks: [Disk]
    public var fixes: FixReport?
    public var xmlPath: String
    /// The checks the XML passed: xen2kvm's own, the schema, the test driver.
    public var validated: [String]
    /// `--boot-check`: how the converted guest booted with all its disks, before it was defined.
    public var bootCheck: MigrationBootCheck.Proof?
    public var defined: String?
    public var started: Bool
    /// Where the libvirt host's virtlogd keeps the domain's serial console (when defined).
    public var serialLog: String?
}

public enum MigrationError: Error, Sendable, CustomStringConvertible {
    case refused([String])
    /// A disk's copy failed: the disks before it are whole, none is fixed.
    case conversion(disk: String, ConversionError)
    /// Every disk is copied; the root's guest was not fixed.
    case fix(GuestFixFailure)
    case xml(String)
    case libvirt(LibvirtChecks.Failure)
    /// The boot check could not run (QEMU missing, a disk in use).
    case bootCheck(String)
    /// Ctrl-C / SIGTERM during a step that is not a disk's copy.
    case interrupted(String)
    /// The converted guest did not reach its login prompt: it was not defined.
    case didNotBoot(MigrationBootCheck.Proof)
    /// The definition (read on the Xen host) cannot be read as one.
    case definition(String)
    /// The Xen host cannot be reached or asked (ssh, the definition, `xl list`).
    case remote(host: String, ConversionError)

    public var description: String {
        switch self {
        case .refused(let reasons): "refused: " + reasons.joined(separator: "; ")
        case .conversion(let disk, let error): "\(disk): \(error.description)"
        case .fix(let error): "the disks were copied, but the root's guest was not fixed: \(error.description)"
        case .xml(let text): text
        case .libvirt(let failure): failure.description
        case .interrupted(let text): "interrupted: \(text)"
        case .bootCheck(let text): "the boot check could not run: \(text)"
        case .didNotBoot(let proof):
            "the converted guest (\(proof.disks.joined(separator: ", "))) did not reach its login prompt under QEMU "
                + "(stopped at \"\(proof.stage)\"" + (proof.failure.map { ", \($0)" } ?? "")
                + ", console log \(proof.consoleLog)); the disks and the "
                + "domain XML are written, nothing was defined: look at the console log, fix the guest (`xen2kvm "
                + "fix`), check again with `xen2kvm boot-check`, then define the XML yourself"
        case .definition(let text): text
        case .remote(_, let error): error.description
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .refused: 2
        case .conversion(_, let error), .remote(_, let error): error.exitCode
        case .fix(.refused): 2
        case .fix(.session(.interrupted)): 130
        case .interrupted: 130
        default: 1
        }
    }
}

/// Follows a plan: converts each disk (sources only read), fixes the root once with the device
/// map, writes the domain XML beside the disks, validates it three ways, and hands it to libvirt.
public enum Migrator {
    public static func run(
        _ plan: MigrationPlan, fix: FixOptions, bootCheck: BootOptions? = nil, define uri: String? = nil,
        start: Bool = false, progress: any ProgressReporter = SilentProgress(), parser: ImageParser = .inProcess
    ) async throws(MigrationError) -> MigrationResult {
        guard plan.refusals.isEmpty else { throw .refused(plan.refusals) }
        // The XML is checked before a disk is copied: a domain libvirt would refuse is found in
        // a second, not after the copies.
        try await validate(plan)
        var disks: [MigrationResult.Disk] = []
        for disk in plan.disks {
            guard let conversion = disk.conversion else { throw .refused(["\(disk.xen): not planned"]) }
            do throws(ConversionError) {
                if let streamed = disk.streamed {
                    progress.note(
                        "receiving \(disk.xen) (\(streamed.source)) by x2k into \(disk.target) as \(disk.kvmDisk)")
                } else {
                    let from = disk.origin.map { "\($0), received in \(disk.source)" } ?? disk.source
                    progress.note("converting \(disk.xen) (\(from)) into \(disk.target) as \(disk.kvmDisk)")
                }
                let result = try await disk.copy(conversion, progress: progress, parser: parser)
                disks.append(.init(xen: disk.xen, target: disk.target, result: result))
            } catch {
                throw .conversion(disk: disk.xen, error)
            }
        }
        var fixes: FixReport?
        if let root = plan.root, let conversion = root.conversion {
            progress.note("fixing the guest on \(root.target) with the device map")
            var options = fix
            options.deviceMap = plan.deviceMap
            do {
                fixes = try await ConvertThenFix.fix(after: conversion, options)
            } catch {
                throw .fix(error)
            }
            // fix reminds an operator of each other disk fstab expects; here those are converted
            // and in the domain already.
            fixes?.warnings.removeAll { warning in
                plan.disks.contains { warning.hasPrefix("fstab expects /dev/\($0.kvmName) (") }
            }
        }
        try write(plan.xml, to: plan.xmlPath)
        var proof: MigrationBootCheck.Proof?
        if let bootCheck {
            progress.note("boot-checking the converted guest with its \(plan.disks.count) disks before it is defined")
            proof = try await MigrationBootCheck.run(plan, template: bootCheck, progress: progress)
            if let proof, !proof.booted { throw .didNotBoot(proof) }
        }
        do {
            if let uri {
                try await LibvirtChecks.define(plan.xmlPath, uri: uri)
                if start { try await LibvirtChecks.start(plan.domain.name, uri: uri) }
            }
        } catch {
            throw .libvirt(error)
        }
        return MigrationResult(
            disks: disks, fixes: fixes, xmlPath: plan.xmlPath,
            validated: ["xen2kvm's checks", "virt-xml-validate", "virsh -c test:///default define"],
            bootCheck: proof, defined: uri, started: uri != nil && start,
            serialLog: uri == nil ? nil : plan.domain.serialLog)
    }

    /// The three checks, on a copy of the XML in /tmp.
    public static func validate(_ plan: MigrationPlan) async throws(MigrationError) {
        let problems = DomainChecks.problems(plan.domain)
        guard problems.isEmpty else { throw .xml(problems.joined(separator: "; ")) }
        let path = "/tmp/xen2kvm-domain-\(getpid())-\(plan.domain.name.filter { $0.isLetter || $0.isNumber }).xml"
        try write(plan.xml, to: path)
        defer { unlink(path) }
        do {
            try await LibvirtChecks.schema(path)
            try await LibvirtChecks.testDriver(path)
        } catch {
            throw .libvirt(error)
        }
    }

    static func write(_ text: String, to path: String) throws(MigrationError) {
        do {
            let file = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
            defer { try? file.close() }
            _ = try file.writeAll(Array(text.utf8))
        } catch {
            throw .xml("cannot write \(path): \(error)")
        }
    }
}
