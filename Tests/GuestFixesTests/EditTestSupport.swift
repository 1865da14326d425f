import Foundation
import GuestFixes
import Inspection
import TestSupport
import Testing

/// A small guest tree written for one test: files (guest path → text) and symlinks (guest
/// path → target), inspected like a real guest.
final class GuestFiles {
    let directory: TemporaryDirectory
    let path: String
    let root: GuestRoot

    init(_ files: [String: String], symlinks: [String: String] = [:]) throws {
        directory = try TemporaryDirectory(prefix: "xen2kvm-edits")
        path = directory.file("guest")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (guestPath, text) in files { try Self.write(path + guestPath, text) }
        for (guestPath, target) in symlinks {
            try Self.makeParent(path + guestPath)
            try FileManager.default.createSymbolicLink(atPath: path + guestPath, withDestinationPath: target)
        }
        root = try GuestRoot(path: path)
    }

    static func write(_ hostPath: String, _ text: String) throws {
        try makeParent(hostPath)
        try Data(text.utf8).write(to: URL(fileURLWithPath: hostPath))
    }

    static func makeParent(_ hostPath: String) throws {
        let parent = (hostPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    }

    func write(_ guestPath: String, _ text: String) throws {
        try Self.write(path + guestPath, text)
    }

    func read(_ guestPath: String) throws -> String {
        try String(contentsOfFile: path + guestPath, encoding: .utf8)
    }

    func exists(_ guestPath: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path + guestPath)) != nil
    }

    func context(profile: String = "none", deviceMap: [String: String] = ["xvdb": "vdb"]) -> FixContext {
        FixContext(guest: GuestInspector.inspect(root), deviceMap: deviceMap, profile: profile)
    }

    /// Plans `edit`, applies its changes, and checks that planning it again, on its own
    /// output, changes nothing. Returns the changes of the first run.
    @discardableResult
    func run(
        _ edit: some GuestEdit, profile: String = "none", deviceMap: [String: String] = ["xvdb": "vdb"],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [FileChange] {
        let context = context(profile: profile, deviceMap: deviceMap)
        let changes = try GuestEdits.plan(root, context: context, edits: [edit])
        try GuestEdits.apply(changes, to: root)
        let again = try GuestEdits.plan(root, context: context, edits: [edit])
        #expect(again == [], "\(edit.name) is not idempotent: \(again)", sourceLocation: sourceLocation)
        for change in changes {
            #expect(change.edit == edit.name, sourceLocation: sourceLocation)
            #expect(!change.summary.isEmpty, "\(change.path) has no summary", sourceLocation: sourceLocation)
        }
        return changes
    }
}

/// What a directory tree holds, without following symlinks: relative path → entry.
enum TreeEntry: Equatable, CustomStringConvertible {
    case file(Data)
    case symlink(String)
    case directory
    case other

    var description: String {
        switch self {
        case .file(let data): return "file(\(String(decoding: data, as: UTF8.self).debugDescription))"
        case .symlink(let target): return "symlink(\(target))"
        case .directory: return "directory"
        case .other: return "other"
        }
    }
}

func treeSnapshot(_ top: String) throws -> [String: TreeEntry] {
    let fm = FileManager.default
    var result: [String: TreeEntry] = [:]
    var pending = [""]
    while let relative = pending.popLast() {
        for name in try fm.contentsOfDirectory(atPath: top + relative) {
            let child = relative + "/" + name
            let type = try fm.attributesOfItem(atPath: top + child)[.type] as? FileAttributeType
            switch type {
            case .typeDirectory?:
                result[child] = .directory
                pending.append(child)
            case .typeSymbolicLink?:
                result[child] = .symlink(try fm.destinationOfSymbolicLink(atPath: top + child))
            case .typeRegular?:
                result[child] = .file(try Data(contentsOf: URL(fileURLWithPath: top + child)))
            default:
                result[child] = .other
            }
        }
    }
    return result
}
