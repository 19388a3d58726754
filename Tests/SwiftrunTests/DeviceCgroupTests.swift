import Foundation
import Testing

@testable import SwiftrunCore

/// Both device-filter backends, on the real kernel: a host process put in
/// the container's cgroup may open the standard devices and nothing else.
/// (The escape suite covers whichever backend `run` picks on this host.)
@Suite struct DeviceCgroupTests {
    /// This host's mode, and (on a hybrid host) the same without its v2
    /// mount, which makes ContainerCgroup use the v1 devices controller.
    static var modes: [CgroupMode] {
        var modes = [CgroupMode.host]
        if CgroupMode.host.unified != nil && CgroupMode.host.v1["devices"] != nil {
            var legacy = CgroupMode.host
            legacy.unified = nil
            modes.append(legacy)
        }
        return modes
    }

    @Test(arguments: modes)
    func onlyTheAllowedDevicesOpen(mode: CgroupMode) throws {
        let id = ContainerID.generate()
        let cgroup = try ContainerCgroup.create(id: id, resources: .init(devices: ContainerDefaults.deviceRules), mode: mode)
        defer { ContainerCgroup.remove(id: id, mode: mode) }

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
        #expect(text == "loop0-denied\nzero-ok\n", "\(mode.description)")
        #expect(FileManager.default.fileExists(atPath: "/dev/loop0"), "the host itself may open loop0: the cgroup is the wall")
    }
}
