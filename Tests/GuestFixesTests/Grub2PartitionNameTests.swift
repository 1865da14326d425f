import GuestFixes
import Inspection
import Testing

/// grub2 names partition 1 after the disk's table: msdos1 on MBR, gpt1 on GPT.
@Suite struct Grub2PartitionNameTests {
    static let config = """
        menuentry 'Debian' {
        \tset root='hd0'
        \tlinux /boot/vmlinuz-6.1.0-26-amd64 root=/dev/xvda1 ro console=hvc0
        }

        """

    @Test(arguments: [("mbr", "hd0,msdos1"), ("gpt", "hd0,gpt1")])
    func partitionNameFollowsTheTable(table: String, expected: String) throws {
        let guest = try GuestFiles(["/boot/grub/grub.cfg": Self.config, "/etc/debian_version": "12.7\n"])
        var context = guest.context(profile: "debian")
        context.partitionTable = table
        let changes = try GuestEdits.plan(guest.root, context: context, edits: [Grub2ConfigEdit()])
        let after = try #require(changes.first?.after)
        #expect(after.contains("set root='\(expected)'"), "\(after)")
        #expect(after.contains("root=/dev/vda1"))
    }
}
