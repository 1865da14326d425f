/// A MAC for an interface the definition gave none: xl made a random 00:16:3e one at each start,
/// so the guest never had a stable one. The KVM guest gets one derived from the guest's uuid (or
/// name) and the interface's index: the same on every run, locally administered and unicast,
/// so it can clash with no vendor's address.
enum StableMAC {
    static func make(guest: XenGuest, index: Int) -> String {
        var bytes = fnv1a("xen2kvm:\(guest.uuid ?? guest.name ?? ""):vif\(index)")
        bytes[0] = (bytes[0] & 0xFC) | 0x02
        return bytes.prefix(6).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// FNV-1a, 64 bits, then MurmurHash3's finalizer so that a one-character change (vif0,
    /// vif1) changes every byte; as bytes, most significant first. Stable across runs and
    /// platforms, unlike Swift's seeded `Hasher`.
    static func fnv1a(_ text: String) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return (0..<8).map { UInt8(truncatingIfNeeded: hash >> (56 - 8 * UInt64($0))) }
    }

    static func fillMissing(in guest: inout XenGuest, notes: inout Notes) {
        for index in guest.interfaces.indices where guest.interfaces[index].mac.isEmpty {
            let mac = make(guest: guest, index: index)
            guest.interfaces[index].mac = mac
            guest.interfaces[index].macGenerated = true
            let seed = guest.uuid != nil ? "uuid" : guest.name != nil ? "name" : "nothing (no uuid, no name)"
            notes.warning(
                "vif-random-mac",
                "vif \(index) has no mac: xl made a random one at each start, so the guest's network config "
                    + "cannot rely on it; the KVM guest gets \(mac), made from the guest's \(seed) and the "
                    + "interface's index (the same on every run)")
        }
    }
}
