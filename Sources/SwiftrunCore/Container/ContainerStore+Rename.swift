import Glibc

extension ContainerStore {
    /// `rename OLD NEW`: the new name is claimed first (O_EXCL, as at
    /// create), then the state says so, then the old name is let go, all
    /// under the store lock, so a concurrent run can take neither name
    /// half-way. Running containers keep running; processes that hold the
    /// state keep the new name when they save (save reads it from disk).
    public func rename(_ key: String, to newName: String) throws(SwiftrunError) {
        try ContainerName.validate(newName)
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            var state = try find(key)
            let oldName = state.name
            guard newName != oldName else {
                throw .invalidArgument("renaming a container with the same name as its current name")
            }
            guard try claim(newName, for: state.id) else { throw .nameInUse(newName) }
            state.name = newName
            do throws(SwiftrunError) {
                try FileSystem.writeAtomically(try JSON.encode(state), to: statePath(state.id), durable: false)
            } catch {
                unlink(namePath(newName))
                throw error
            }
            unlink(namePath(oldName))
        }
    }
}
