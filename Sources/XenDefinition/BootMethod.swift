/// Which way Xen started the kernel, from what the definition names; shared by every form.
enum BootMethod {
    static func classify(_ boot: inout Boot) {
        if boot.bootloader != nil {
            boot.method = .bootloader
        } else if let kernel = boot.kernel {
            // pv-grub is a kernel image too (pv-grub-x86_64.gz, grub-x86_64-xen.bin).
            let file = kernel.split(separator: "/").last.map(String.init) ?? kernel
            let isGrub = file.contains("pv-grub") || file.contains("pvgrub") || file.hasPrefix("grub")
            boot.method = isGrub ? .pvGrub : .directKernel
        } else {
            boot.method = .none
        }
        boot.root = boot.commandLine.flatMap(rootArgument)
    }

    /// The value of the last `root=` word of a kernel command line (the kernel keeps the last).
    static func rootArgument(_ commandLine: String) -> String? {
        commandLine.split(whereSeparator: { $0 == " " || $0 == "\t" })
            .last { $0.hasPrefix("root=") }
            .map { String($0.dropFirst("root=".count)) }
    }
}
