import TestSupport
import Testing

@testable import GuestFixes

/// Inputs FuzzGuestEdits crashed the guest edits with (Fuzz/Regressions/FuzzGuestEdits).
@Suite struct FuzzRegressionTests {
    /// grub legacy `default -1`: chooseDefault took the number as an index into the menu's
    /// entries (GrubLegacyEdit.swift). It names no entry now, so the default is left alone.
    @Test func grubLegacyDefaultNegative() throws {
        // Slot 6 of GuestFiles.paths: /boot/grub/menu.lst.
        let menu = try FuzzRegressions.guestFile("FuzzGuestEdits", "menu-lst-default-negative", slot: 6)
        var lines = menu.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "default -1")
        #expect(GrubLegacyEdit.chooseDefault(&lines, kernels: []) == nil)
        #expect(lines.first == "default -1")
    }
}
