import ArgumentParser

@main
struct Xen2KVM: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "xen2kvm")
}
