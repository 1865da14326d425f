import Testing

@testable import BootCheck

/// The console reader tells the stage and the failure from what real boots print.
@Suite struct ConsoleReaderTests {
    @Test func stagesInOrder() {
        #expect(ConsoleReader.read("").stage == .none)
        #expect(ConsoleReader.read("SeaBIOS (version 1.16)\r\nBooting from Hard Disk...").stage == .firmware)
        #expect(ConsoleReader.read("GNU GRUB  version 2.06").stage == .bootloader)
        // grub 2.12's greeting is no sign of init.
        #expect(ConsoleReader.read("GRUB loading.\nWelcome to GRUB!\nLoading Linux 6.12 ...").stage == .kernel)
        // As a loaded CI host's console log held it: cursor moves inside the greeting.
        let drawn = "GRUB loading.\n\u{1B}[0;30;47mWelcome to G\u{1B}[04;12H\u{1B}[04;13HRUB!\nLoading Linux 6.12 ..."
        #expect(ConsoleReader.read(drawn).stage == .kernel)
        #expect(ConsoleReader.read("GNU GRUB\nLoading Linux 6.1.0-26-amd64 ...").stage == .kernel)
        #expect(ConsoleReader.read("Loading Linux\nLoading, please wait...").stage == .initramfs)
        #expect(ConsoleReader.read("/dev/vda1: clean, 14183/131072 files").stage == .rootMounted)
        let login = ConsoleReader.read("Debian GNU/Linux 12 xenguest ttyS0\n\nxenguest login: ")
        #expect(login.stage == .login && login.failure == nil)
    }

    @Test func failuresAreRecognised() {
        #expect(ConsoleReader.read("SeaBIOS\nBoot failed: not a bootable disk").failure == .noBootableDisk)
        let wild = "SeaBIOS\r\nBooting from Hard Disk...\r\nBoot failed: could not read the boot disk\r\n"
        #expect(ConsoleReader.read(wild).failure == .noBootCode)
        #expect(
            ConsoleReader.read("Booting from Hard Disk...\r\nBoot failed: not a bootable disk\r\n").failure
                == .noBootableDisk)
        // Read mid-line, the firmware's last line is not judged until it is whole.
        #expect(ConsoleReader.read("Booting from Hard Disk...\r\nBoot failed: not a bootable dis").failure == nil)
        #expect(ConsoleReader.read("GNU GRUB\nerror: no such partition.\ngrub rescue> ").failure == .grubError)
        #expect(ConsoleReader.read("Booting 'CentOS'\n\nError 22: No such partition").failure == .grubError)
        #expect(ConsoleReader.read("Linux version 6.1\nKernel panic - not syncing: VFS").failure == .kernelPanic)
        let rescue =
            "Loading, please wait...\nGave up waiting for root file system device.\nALERT!  /dev/xvda1 does not exist.\n(initramfs) "
        #expect(ConsoleReader.read(rescue).failure == .rootNotFound)
        #expect(ConsoleReader.read("Loading Linux\nLoading, please wait...").failure == nil)
    }

    @Test func escapeSequencesAreRemovedFromTheLastLines() {
        let lines = ConsoleText.lastLines("\u{1B}[2J\u{1B}[1;1HGNU GRUB\r\n\u{1B}[0mBooting `Debian'\r\n", count: 5)
        #expect(lines == ["GNU GRUB", "Booting `Debian'"])
    }
}

/// Swap activation, interface renames and warnings are read from the kernel's and systemd's console lines.
@Suite struct BootEventsTests {
    @Test func swapsAndWarnings() {
        let console = """
            [   17.405841] Adding 261116k swap on /dev/vdb1.  Priority:-2 extents:1 across:261116k FS\r
            \u{1B}[0;32m  OK  \u{1B}[0m] Activated swap dev-vdb1.swap - /dev/vdb1.\r
            [ TIME ] Timed out waiting for device dev-vdc1.device - /dev/vdc1.\r
            [DEPEND] Dependency failed for dev-vdc1.swap - /dev/vdc1.\r
            [   18.1] Adding 1048572k swap on /swapfile.  Priority:-3 extents:4 across:1100000k FS\r
            """
        let events = BootEvents.read(console)
        #expect(events.swaps == ["/dev/vdb1", "/swapfile"])
        #expect(
            events.warnings == [
                "[ TIME ] Timed out waiting for device dev-vdc1.device - /dev/vdc1.",
                "[DEPEND] Dependency failed for dev-vdc1.swap - /dev/vdc1.",
            ])
        #expect(BootEvents.read("Adding swap on nothing\nswap on /dev/vdb1").swaps.isEmpty)
    }

    @Test func renamedInterfaces() {
        let console = """
            [    3.912345] virtio_net virtio1 ens3: renamed from eth0\r
            [    4.000001] e1000 0000:00:04.0 enp0s4: renamed from eth1\r
            [    5.1] ens3: renamed from eth0\r
            """
        #expect(BootEvents.read(console).renamedInterfaces == ["eth0 → ens3", "eth1 → enp0s4"])
        #expect(BootEvents.read("virtio_net virtio1 eth0: link up\n: renamed from \n").renamedInterfaces.isEmpty)
    }
}
