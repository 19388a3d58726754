import CShims
import Glibc

/// The parent's side of a container child's start, from its first record
/// (SR_STEP_CLONED) to its execve (EOF on the report pipe) or the step
/// that failed: the pid, the go byte, `started`, the hooks' pause.
///
/// With shared memory (ContainerProcess) this runs on a second thread
/// while the cloning thread waits in clone3; otherwise on the cloning
/// thread, after the clone. Either way it owns the parent's sync write end
/// and runs alone: the only other thread is suspended or done.
final class ChildHandshake: @unchecked Sendable {
    private let child: ChildSpec
    private let syncWrite: Int32
    private let reportRead: Int32
    /// The parent's copies of the child's ends (the sync read end, the
    /// report write end): closed once, by whichever side gets there first.
    private let parentEnds: [Int32]
    private let parentEndsClosed = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    /// The kernel stores the child's pid here before the child runs
    /// (CLONE_PARENT_SETTID); read once the child's first record is in.
    let pidSlot = UnsafeMutablePointer<pid_t>.allocate(capacity: 1)

    init(child: ChildSpec, syncWrite: Int32, reportRead: Int32, parentEnds: [Int32]) {
        self.child = child
        self.syncWrite = syncWrite
        self.reportRead = reportRead
        self.parentEnds = parentEnds
        parentEndsClosed.initialize(to: 0)
        pidSlot.initialize(to: 0)
    }

    deinit {
        parentEndsClosed.deallocate()
        pidSlot.deallocate()
    }

    /// Until the parent's copies close, the report pipe cannot reach EOF
    /// when the child execs, and the child cannot see EOF if we give up.
    func closeParentEnds() {
        guard sr_claim_once(parentEndsClosed) != 0 else { return }
        for fd in parentEnds { close(fd) }
    }

    /// Answers the child until it runs the container's program. nil when
    /// no child ever reported (the clone failed, or it died at once).
    func answer(
        placing: (pid_t) throws(SwiftrunError) -> Void, started: (pid_t) throws(SwiftrunError) -> Void,
        runtimeHooks: (pid_t) throws(SwiftrunError) -> Void, stepDone: (ChildRecord) -> Void
    ) -> Result<ContainerProcess, SwiftrunError>? {
        var syncWrite = self.syncWrite
        defer { if syncWrite >= 0 { close(syncWrite) } }
        let first: ChildRecord?
        do { first = try ContainerProcess.readRecord(reportRead) } catch { return .failure(error) }
        guard let first, first.header.step == SR_STEP_CLONED.rawValue else { return nil }
        closeParentEnds()
        var pid = pidSlot.pointee
        let outcome = Result { () throws(SwiftrunError) -> ContainerProcess in
            do throws(SwiftrunError) {
                // A new user namespace has no ids until its maps are written;
                // the child does nothing before the go byte.
                if let maps = child.idMaps {
                    try FileSystem.writeString(maps.uid, to: "/proc/\(pid)/uid_map")
                    try FileSystem.writeString(maps.gid, to: "/proc/\(pid)/gid_map")
                }
                try placing(pid)
            } catch {
                close(syncWrite)  // EOF: the child gives up before doing anything
                syncWrite = -1
                _ = try? ContainerProcess.reap(pid)
                throw error
            }
            var go: UInt8 = 1
            _ = write(syncWrite, &go, 1)
            do throws(SwiftrunError) {
                try started(pid)
            } catch {
                close(syncWrite)
                syncWrite = -1
                kill(pid, SIGKILL)
                _ = try? ContainerProcess.reap(pid)
                throw error
            }
            // The child waits a second time, for what `started` did while
            // it mounted: the veth, the device filter (await_parent_setup).
            if child.raw.await_parent_setup != 0 { _ = write(syncWrite, &go, 1) }
            // A child that pauses for the runtime's hooks reads once more.
            if child.raw.pause_for_hooks == 0 {
                close(syncWrite)
                syncWrite = -1
            }

            var failure: ChildRecord?
            while let record = try ContainerProcess.readRecord(reportRead) {
                guard record.header.err == 0 else {
                    failure = record
                    break
                }
                if record.header.step == SR_STEP_RUNTIME_HOOKS.rawValue && syncWrite >= 0 {
                    do throws(SwiftrunError) {
                        try runtimeHooks(pid)
                    } catch {
                        kill(pid, SIGKILL)
                        _ = try? ContainerProcess.reap(pid)
                        throw error
                    }
                    _ = write(syncWrite, &go, 1)
                    close(syncWrite)
                    syncWrite = -1
                    continue
                }
                // A bundle's container is set up and waits for `start`; the
                // child closed the pipe after this record.
                if record.header.step == SR_STEP_CREATED.rawValue { break }
                if record.header.step == SR_STEP_JOIN_FORK.rawValue {
                    // exec: the process that joined forked the real one into
                    // the pid namespace, as our child (CLONE_PARENT), and left.
                    _ = try? ContainerProcess.reap(pid)
                    pid = pid_t(record.header.detail)
                    continue
                }
                stepDone(record)
            }
            if let failure {
                stepDone(failure)
                _ = try ContainerProcess.reap(pid)
                if failure.header.step == SR_STEP_EXEC.rawValue {
                    throw .cannotExecute(String(cString: child.raw.argv[0]!), errno: failure.header.err)
                }
                if failure.header.step == SR_STEP_CONTAINER_HOOK.rawValue && failure.header.err < 0 {
                    throw .commandFailed("\(child.describe(failure.header)) exited with status \(-failure.header.err)", code: 1)
                }
                throw .childStep(child.describe(failure.header), errno: failure.header.err)
            }
            return ContainerProcess(pid: pid)
        }
        return outcome
    }
}
