import Glibc

/// Phase 3, start: the container's cgroups, then clone3 of its pid 1,
/// which sets itself up (CShims/child.c) and execs the command. Returns
/// once the command runs, or throws the step that failed. The caller
/// becomes pid 1's parent, so it is the process that will supervise: the
/// CLI for a foreground `run`, the monitor for `run -d` and `start`.
struct ContainerLauncher {
    let layout: StoreLayout

    /// Starts `plan`'s container; its state gains the pid and start time
    /// and is recorded while the child sets itself up (config.json earlier,
    /// on a second thread).
    /// With `console` (-t), the child sends its pty master there.
    /// `early`: a network namespace a foreground `run` began making before
    /// it prepared, closed after the spawn as one begun here is; `overlay`,
    /// the overlay it began with the container (ContainerAhead).
    func launch(
        _ plan: ContainerPlan, narrator: Narrator?, console: ConsoleSocket? = nil, early: NetworkNamespaceAhead? = nil,
        overlay earlyOverlay: OverlayAhead? = nil
    ) throws(SwiftrunError) -> (ContainerProcess, ContainerState) {
        // First, so that their threads overlap everything up to the clone3.
        let overlay = earlyOverlay ?? OverlayAhead(plan)
        // Its thread is waited for on every way out: a failed launch's
        // container is removed next, and its dirs must all be made by then.
        defer { _ = try? overlay.madeAhead() }
        let network = ContainerNetwork(layout: layout)
        let request = plan.state.network ?? NetworkRequest.none
        let netns = NetworkNamespaceAhead.isWanted(by: plan.spec, request: request) ? early ?? NetworkNamespaceAhead() : nil
        defer { netns?.close() }
        let networkPlan = try network.attach(request, id: plan.id, name: plan.state.name, hostname: plan.spec.hostname, narrator: narrator)
        defer { if networkPlan.joinPidFD >= 0 { close(networkPlan.joinPidFD) } }
        do {
            return try launch(plan, state: plan.state, network: networkPlan, netns: netns, overlay: overlay, narrator: narrator, console: console)
        } catch {
            network.detach(plan.id)
            throw error
        }
    }

    private func launch(
        _ plan: ContainerPlan, state: ContainerState, network: ContainerNetwork.Plan, netns: NetworkNamespaceAhead?, overlay: OverlayAhead,
        narrator: Narrator?, console: ConsoleSocket?
    ) throws(SwiftrunError) -> (ContainerProcess, ContainerState) {
        let containers = ContainerStore(layout: layout)
        var state = state
        // config.json on a second thread, while this one makes the cgroups
        // and clones the child: its JSON was on the path between a short
        // command's exit and run's own. Joined before state.json says
        // "running", and on every way out, so no write outlives the launch.
        // A second thread is safe here: the clone3 joins no mount or user
        // namespace (setns(2) refuses those to a process with threads), and
        // the child runs only C until its execve.
        let specWriter = Worker { Result { () throws(SwiftrunError) in try containers.recordSpec(plan.spec, of: plan.id) } }
        defer { _ = specWriter.join() }
        let child = try ChildSpec(spec: plan.spec, overlayOptions: plan.overlayOptions, seccomp: plan.seccomp, narrate: narrator != nil)
        if let console { child.attachConsole(socket: console.childEnd, size: TerminalSize.of(1)) }
        child.attachNetwork(network)
        let cgroup = try ContainerCgroup.create(id: plan.id, resources: plan.spec.linux.resources, devicesAtSpawn: true) { file, value in
            narrator?.parent(
                "cgroup", "\(file) = \(value)", why: "limits and the device filter, set before the child runs", manual: "cgroups(7)",
                data: ["file": .string(file), "value": .string(value)])
        }
        // As late as can be: the threads have had all the above to finish.
        if let fd = try overlay.madeAhead() { child.attachOverlay(madeAhead: fd) }
        let madeAhead = netns?.fd
        if let madeAhead {
            child.joinNetworkNamespace(madeAhead: madeAhead)
            narrator?.parent(
                "netns", "unshare(CLONE_NEWNET); ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP): on a second thread, while this one prepared",
                why: "the container's network namespace, made while this thread went on; the child joins it", manual: "network_namespaces(7)")
        }
        let process = try cgroup.spawn(
            child,
            narrate: { file, value in
                narrator?.parent(
                    "cgroup", "\(file) = \(value)", why: "the child starts inside its cgroups; its device filter goes on while it mounts",
                    manual: "cgroups(7)",
                    data: ["file": .string(file), "value": .string(value)])
            },
            cloned: { narrator?.cloned(pid: $0, flags: child.cloneFlagNames) },
            started: { (pid) throws(SwiftrunError) in
                // The child mounts its root meanwhile; it waits for eth0 only
                // when it gets to configure it (ContainerProcess.start).
                try ContainerNetwork(layout: layout).connect(network, id: plan.id, pid: pid, madeAhead: madeAhead, narrator: narrator)
                state.pid = pid
                state.status = .running
                state.started = JSON.timestamp()
                try specWriter.join().get()
                try containers.save(state)
            },
            stepDone: { narrator?.child($0) })
        return (process, state)
    }
}
