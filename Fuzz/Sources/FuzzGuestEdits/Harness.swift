import FuzzGuestFiles
import Inspection

@testable import GuestFixes

/// The input is a set of guest files (`GuestFiles`), as for FuzzGuestConfig. The guest is
/// inspected (its initrds not opened), then every text edit `xen2kvm fix` makes runs on the file
/// it edits, with the device mapping and options that guest's facts give: fstab, crypttab,
/// resume, /etc/default/grub, grub.cfg, menu.lst, device.map, the BLS options and grubenv
/// command lines, inittab, securetty, modprobe, ifcfg, persistent-net rules, sysconfig kernel
/// and bootloader. Each edit runs again on its own result too (a second `fix` run).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGuestEdits(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let guest = GuestFiles(bytes)
    let report = GuestInspector.inspect(guest, readInitrds: false)
    let table = size % 2 == 0 ? "mbr" : "gpt"
    let context = FixContext(guest: report, profile: "generic", partitionTable: table)
    let mapping = DeviceMapping(context)
    let eth = context.keepsEthNames
    let edits: [(String, (String) -> String)] = [
        ("/etc/fstab", { FstabEdit.edit($0, mapping: mapping).text }),
        ("/etc/crypttab", { CrypttabEdit.edit($0, mapping: mapping).text }),
        ("/etc/initramfs-tools/conf.d/resume", { ResumeEdit.edit($0, mapping: mapping, noneSetting: nil).text }),
        ("/etc/default/grub", { Grub2DefaultEdit.edit($0, mapping: mapping, keepEthNames: eth).text }),
        ("/boot/grub/grub.cfg", { Grub2ConfigEdit.edit($0, mapping: mapping, keepEthNames: eth).text }),
        (
            "/boot/grub2/grub.cfg",
            { Grub2ConfigEdit.edit($0, mapping: mapping, partition: "gpt1", keepEthNames: eth).text }
        ),
        (
            "/boot/grub/menu.lst",
            { GrubLegacyEdit.edit($0, kernels: report.kernels, mapping: mapping, keepEthNames: eth).text }
        ),
        ("/boot/grub/device.map", { GrubLegacyEdit.editDeviceMap($0, mapping: mapping).text }),
        ("/etc/kernel/cmdline", { BootLoaderSpecEdit.edit($0, mapping: mapping, keepEthNames: eth).text }),
        ("/etc/inittab", { ConsoleEdit.editInittab($0).text }),
        ("/etc/securetty", { ConsoleEdit.editSecuretty($0).text }),
        ("/etc/modprobe.conf", { ModprobeEdit.editConf($0).text }),
        ("/etc/modprobe.d/xen.conf", { ModprobeEdit.edit($0).text }),
        ("/etc/sysconfig/network-scripts/ifcfg-eth0", { NetworkEdit.dropHardwareAddress($0).text }),
        ("/etc/udev/rules.d/70-persistent-net.rules", { NetworkEdit.emptyRules($0).text }),
        ("/etc/sysconfig/kernel", { SysconfigKernelEdit.edit($0).text }),
        (
            "/etc/sysconfig/bootloader",
            { SysconfigBootloaderEdit.edit($0, mapping: mapping, loader: "grub2", keepEthNames: eth).text }
        ),
    ]
    for (path, edit) in edits {
        guard let text = try? guest.readText(path) else { continue }
        _ = edit(edit(text))
    }
    for line in report.commandLines {
        _ = KernelArguments.edit(line.arguments, mapping: mapping, keepEthNames: eth)
    }
    if let env = try? guest.readText("/boot/grub2/grubenv") {
        for line in env.split(separator: "\n") {
            if let options = BootLoaderSpecEdit.grubenvOptions(String(line)) {
                _ = BootLoaderSpecEdit.edit(options.arguments, mapping: mapping, keepEthNames: eth)
            }
        }
    }
    return 0
}
