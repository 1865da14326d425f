import TestSupport
import Testing

@testable import Inspection

/// Inputs the fuzz harnesses crashed inspection with (Fuzz/Regressions/FuzzImage, FuzzGuestConfig).
@Suite struct FuzzRegressionTests {
    /// Every committed image is inspected as `xen2kvm inspect` does it: a report or an
    /// InspectionError, never a trap.
    @Test(arguments: FuzzRegressions.names("FuzzImage"))
    func committedImage(_ name: String) {
        do {
            _ = try Inspector.inspect("\(FuzzRegressions.directory("FuzzImage"))/\(name)")
        } catch {
            #expect(!error.description.isEmpty)
        }
    }

    /// A GPT whose Linux partition starts at sector 2^60: its byte offset overflowed UInt64
    /// (Inspector, `startSector * 512`). The offset saturates now (SourcePartition.offsetBytes),
    /// which lies past the end of the disk: no filesystem there.
    @Test func partitionStartPastUInt64() {
        let image = "\(FuzzRegressions.directory("FuzzImage"))/gpt-partition-start-past-uint64"
        #expect(throws: InspectionError.self) { try Inspector.inspect(image) }
        let partition = SourcePartition(number: 2, startSector: 1 << 60, sectors: 1 << 60, type: "83")
        #expect(partition.offsetBytes == UInt64.max)
        #expect(partition.sizeBytes == UInt64.max)
    }

    /// grub legacy `default -1`: readLegacy took the number as an index into the menu's kernels
    /// (Bootloader.swift). No entry is the default now; the command lines are still read.
    @Test func grubLegacyDefaultNegative() throws {
        // Slot 6 of GuestFiles.paths: /boot/grub/menu.lst.
        let menu = try FuzzRegressions.guestFile("FuzzGuestConfig", "menu-lst-default-negative", slot: 6)
        var facts = BootloaderFacts(
            kind: .grubLegacy, configFiles: [], commandLines: [], defaultKernel: nil, partitionlessRoot: [])
        let lines = menu.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        BootloaderScanner.readLegacy(path: "/boot/grub/menu.lst", lines: lines, into: &facts)
        #expect(lines.first == "default -1")
        #expect(facts.defaultKernel == nil)
        #expect(facts.commandLines.map(\.kernel) == ["/boot/vmlinuz-6.1.0"])
    }
}
