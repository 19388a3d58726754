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
        // Nodes made in the cgroup ("c *:* m" and "b *:* m" allow mknod),
        // each a case of the rules: null is allowed by type, major and
        // minor; kmsg (1:11) differs from the allowed 1:x only in its minor,
        // tty0 (4:0) in its major, the disk (8:0) in its type.
        let nodes = FileManager.default.temporaryDirectory.appendingPathComponent("devices-\(id)").path
        try FileManager.default.createDirectory(atPath: nodes, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: nodes) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            """
            read go; d=\(nodes)
            mknod $d/null c 1 3 && mknod $d/kmsg c 1 11 && mknod $d/tty0 c 4 0 && mknod $d/disk b 8 0 && echo mknod-ok
            for n in null kmsg tty0 disk; do
                if err=$( (: < $d/$n) 2>&1 ); then echo $n-opens; else case "$err" in *"not permitted"*) echo $n-denied;; *) echo "$n: $err";; esac; fi
            done
            head -c 1 /dev/loop0 >/dev/null 2>&1 || echo loop0-denied; head -c 1 /dev/zero >/dev/null && echo zero-ok
            """
        ]
        let (input, output) = try start(process) {
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            return (input, output)
        }
        // In the cgroup before it tries anything: it waits for this line.
        try cgroup.add(process.processIdentifier)
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text == "mknod-ok\nnull-opens\nkmsg-denied\ntty0-denied\ndisk-denied\nloop0-denied\nzero-ok\n", "\(mode.description)")
        #expect(FileManager.default.fileExists(atPath: "/dev/loop0"), "the host itself may open loop0: the cgroup is the wall")
    }
}
