import CShims
import Glibc

/// Directories on their way out of the store: `trash/<name>`. A removed
/// container's dir is renamed here in one step, so it stops being a
/// container at once (no listing, name or volume sees it), and its files go
/// after. A foreground `run --rm` hands them to a remover of their own and
/// exits: its caller gets the exit code without waiting for about 20
/// unlinks and rmdirs that nothing can see, which were a sixth of the run.
///
/// An entry is locked (flock on its dir) for as long as someone removes it,
/// and the lock is taken before the rename, so no entry is ever seen
/// unlocked while its remover lives. What a killed remover leaves is
/// unlocked, and the next command's recovery sweeps it.
struct Trash {
    let layout: StoreLayout

    /// When an entry's files go: in this process, or in a remover once
    /// this one has exited. `releasing` (-1: none) is an fd whose last
    /// close is slow, which the remover closes then: the container's
    /// mount namespace, held past pid 1's exit. Let go by pid 1, its
    /// teardown (the overlay and every mount, an RCU grace period) came
    /// before the kernel told us of the exit.
    enum When {
        case now
        case afterExit(releasing: Int32)
    }

    /// An entry taken: its name and the locked fd of its dir.
    struct Entry {
        let name: String
        let lock: Int32
    }

    private func path(_ name: String) -> String { layout.trash + "/" + name }

    /// Moves the dir at `path` here as `name`, locked. Nil if it does not
    /// exist, or if the rename failed and it was removed in place instead
    /// (a trash dir that must grow on a full disk, say).
    func take(_ path: String, as name: String) throws(SwiftrunError) -> Entry? {
        guard let fd = try Syscall.attempt("open \(path)", allowing: [ENOENT], { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }) else {
            return nil
        }
        // Uncontended: only whoever removes the container holds its dir.
        flock(fd, LOCK_EX)
        guard rename(path, self.path(name)) == 0 else {
            close(fd)
            try FileSystem.removeTree(path)
            return nil
        }
        return Entry(name: name, lock: fd)
    }

    /// Removes the entry's files, now, or after this process's exit by a
    /// remover of their own (CShims/remover.c). A remover that cannot be
    /// started leaves the work to this process.
    func remove(_ entry: Entry, _ when: When) throws(SwiftrunError) {
        if case let .afterExit(releasing) = when {
            if sr_spawn_remover(path(entry.name), entry.lock, releasing) > 0 {
                close(entry.lock)  // the remover's copy holds the lock now
                return
            }
            if releasing >= 0 { close(releasing) }
        }
        defer { close(entry.lock) }
        try FileSystem.removeTree(path(entry.name))
    }

    /// Removes what no live remover holds: entries of a remover that was
    /// killed, or that never started. One stat when the trash is
    /// empty (an ext4 or tmpfs dir's link count is 2 plus its subdirs; a
    /// filesystem that keeps 1 is listed). Returns the entries that could
    /// not be removed, with why.
    func sweep() -> [(name: String, error: SwiftrunError)] {
        var info = stat()
        guard stat(layout.trash, &info) == 0, info.st_nlink != 2, let names = try? FileSystem.listDirectory(layout.trash) else {
            return []
        }
        var failed: [(name: String, error: SwiftrunError)] = []
        for name in names {
            let fd = open(path(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its remover is at work
            do throws(SwiftrunError) { try FileSystem.removeTree(path(name)) } catch { failed.append((name, error)) }
        }
        return failed
    }
}
