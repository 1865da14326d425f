import Foundation
import TestSupport
import Testing

/// The fleet case on one host: several fixes at once, each with its guest programs running
/// contained, never collide (loop devices, partitions, session directories, locks, sandboxes);
/// kill -9 of one at a random point leaves the others running to a good end, and the next run
/// on the killed one's disk cleans up what it left and succeeds.
@Suite struct ParallelRunsTests {
    @Test(.requires(root: true, tools: ["mke2fs", "losetup", "busybox", "setpriv", "debugfs"]))
    func aKilledRunLeavesTheOthersRunning() async throws {
        let dirs = try (0..<3).map { _ in try TemporaryDirectory(prefix: "xen2kvm-parallel") }
        var disks: [String] = []
        for dir in dirs { disks.append(try await GuestSessionTests.convertedDisk(dir, shell: true)) }
        // Each helper proves it ran in its own sandbox: it writes the disk's name into its own
        // guest and waits long enough for the three to overlap.
        var helpers: [String] = []
        for (index, dir) in dirs.enumerated() {
            let helper = dir.file("helper")
            // The killed run's helper waits long: the kill must land while it runs.
            let wait = index == 0 ? 60 : 3
            try "set -e\necho disk-\(index) > /tmp/which-disk\n/usr/bin/busybox sleep \(wait)\n"
                .write(toFile: helper, atomically: true, encoding: .utf8)
            helpers.append(helper)
        }
        let killed = try await withThrowingTaskGroup(of: (Int, CommandResult?).self) { group in
            for index in 1..<3 {
                let command = ["fix", "--json", "--profile", helpers[index], disks[index]]
                group.addTask { (index, try await Xen2KVMBinary.run(command)) }
            }
            let victim = try await killXen2KVM(
                ["fix", "--verbose", "--profile", helpers[0], disks[0]], when: "fixing the guest on",
                after: KillPoint().delay("parallel", upTo: .seconds(2)), watching: dirs[0].path)
            for try await (index, result) in group {
                #expect(result?.status == 0, "run \(index): \(result?.stderr ?? "")")
                #expect(result?.stdout.contains("\"contained\" : true") == true, "run \(index)")
            }
            return victim
        }
        #expect(killed.landed, "\(killed.result.stderr)")
        #expect(try await killed.survivors().isEmpty)
        for index in 1..<3 {
            let wrote = try await Command.run(
                "debugfs", ["-R", "cat /tmp/which-disk", disks[index] + "?offset=1048576"])
            #expect(wrote.stdout == "disk-\(index)\n", "run \(index)'s guest: \(wrote.stdout)\(wrote.stderr)")
            #expect(try await loopLeftovers(matching: disks[index]).isEmpty)
        }
        try "exit 0\n".write(toFile: helpers[0], atomically: true, encoding: .utf8)
        let again = try await Xen2KVMBinary.run(["fix", "--profile", helpers[0], disks[0]])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await loopLeftovers(matching: disks[0]).isEmpty)
        #expect(try killed.leftovers().isEmpty)
    }
}
