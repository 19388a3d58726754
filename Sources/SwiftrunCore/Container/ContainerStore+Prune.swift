extension ContainerStore {
    /// `container prune`: removes every container that is not running, as
    /// `rm` would, and returns their ids with the bytes their dirs held.
    public func prune() throws(SwiftrunError) -> (ids: [String], reclaimed: Int64) {
        try StoreLock.withLock(layout.lock) { () throws(SwiftrunError) in
            var ids: [String] = []
            var reclaimed: Int64 = 0
            for state in try all() where !state.isActive {
                reclaimed += DiskUsage.bytes(directories(state.id).upper)
                try remove(state)
                ids.append(state.id)
            }
            return (ids, reclaimed)
        }
    }
}
