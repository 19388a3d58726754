import Foundation
import Testing
@testable import SwiftrunCore

/// Both device-cgroup backends, on the real kernel: a host process put in
/// the cgroup may open the standard devices and nothing else. (The escape
/// suite covers whichever backend `run` picks on this host.)
@Suite struct DeviceCgroupTests {
    static var backends: [DeviceCgroup.Backend] {
        var found: [DeviceCgroup.Backend] = []
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/devices/devices.allow") { found.append(.v1Devices) }
        if let detected = DeviceCgroup.detected, detected != .v1Devices { found.append(detected) }
        return found
    }

    @Test(arguments: backends)
    func onlyTheAllowedDevicesOpen(backend: DeviceCgroup.Backend) throws {
        let id = ContainerID.generate()
        let cgroup = try #require(try DeviceCgroup.create(id: id, rules: ContainerDefaults.deviceRules, backend: backend))
        defer { DeviceCgroup.remove(id: id, backend: backend) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "read go; head -c 1 /dev/loop0 >/dev/null 2>&1 || echo loop0-denied; head -c 1 /dev/zero >/dev/null && echo zero-ok"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // In the cgroup before it tries anything: it waits for this line.
        try cgroup.add(process.processIdentifier)
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text == "loop0-denied\nzero-ok\n", "\(backend)")
        #expect(FileManager.default.fileExists(atPath: "/dev/loop0"), "the host itself may open loop0: the cgroup is the wall")
    }
}
