/// xen2kvm's own checks of a domain, for what neither libvirt check rejects: `virt-xml-validate`
/// lets a duplicated target through, and neither it nor `virsh -c test:///default define`
/// rejects an `xvda` target on virtio or a machine type QEMU does not have.
public enum DomainChecks {
    /// Machine types QEMU (Debian 12's 7.2, and later) accepts under these names.
    static let machines: Set<String> = ["pc", "q35"]

    /// Each problem, as a sentence; empty when the domain is fine.
    public static func problems(_ spec: DomainSpec) -> [String] {
        var problems: [String] = []
        if spec.name.isEmpty { problems.append("the domain has no name") }
        if !machines.contains(spec.machine) {
            problems.append("machine type \(spec.machine) is not one QEMU has (pc, q35)")
        }
        var targets: Set<String> = []
        for disk in spec.disks {
            if disk.bus != "virtio" { problems.append("disk \(disk.target) is on bus \(disk.bus), not virtio") }
            if !isVirtioName(disk.target) {
                problems.append("disk target \(disk.target) is no virtio disk name (vda, vdb, …)")
            }
            if !targets.insert(disk.target).inserted { problems.append("two disks have the target \(disk.target)") }
        }
        let booted = spec.disks.filter { $0.bootOrder != nil }
        if booted.count != 1 {
            problems.append("\(booted.count) disks have a boot order: exactly one, the root, must have it")
        }
        var macs: Set<String> = []
        for interface in spec.interfaces {
            if let problem = macProblem(interface.mac) { problems.append(problem) }
            if !macs.insert(interface.mac.lowercased()).inserted {
                problems.append("two interfaces have the MAC \(interface.mac)")
            }
        }
        return problems
    }

    static func isVirtioName(_ name: String) -> Bool {
        name.hasPrefix("vd") && name.count > 2 && name.dropFirst(2).allSatisfy { ("a"..."z").contains($0) }
    }

    /// A MAC a NIC can have: six hex octets, unicast (the first octet's low bit clear), not zero.
    static func macProblem(_ mac: String) -> String? {
        let octets = mac.split(separator: ":", omittingEmptySubsequences: false).map { UInt8($0, radix: 16) }
        guard octets.count == 6, mac.count == 17, let first = octets[0], octets.allSatisfy({ $0 != nil }) else {
            return "MAC \(mac) is not six hex octets"
        }
        if first & 1 == 1 { return "MAC \(mac) is a multicast address: a NIC needs a unicast one" }
        if octets.allSatisfy({ $0 == 0 }) { return "MAC \(mac) is all zeros" }
        return nil
    }
}
