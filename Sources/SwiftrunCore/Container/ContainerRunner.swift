import Glibc

/// `swiftrun run`, `run -d` and `start`: the phases of ContainerPlan.swift
/// put together.
///
///  1. resolve the image and its layer dirs    (Store/ImageStore.swift)
///  2. prepare: image + flags -> spec          (Container/ContainerPlan.swift, RuntimeSpec+Build.swift)
///  3. create: claim the name and dirs         (Container/ContainerStore.swift)
///  4. start: cgroups, clone3, the child       (Container/ContainerLauncher.swift, CShims/child.c)
///  5. supervise: forward signals and wait,    (Linux/ContainerProcess.swift)
///     or hand over to a monitor               (Container/ContainerMonitor.swift)
///  6. delete: cgroups, then the dirs or the exit code (Container/ContainerStore.swift)
public struct ContainerRunner {
    let layout: StoreLayout
    let images: ImageStore
    let containers: ContainerStore

    public init(layout: StoreLayout) {
        self.layout = layout
        images = ImageStore(layout: layout)
        containers = ContainerStore(layout: layout)
    }

    /// Runs the container to completion and returns Docker's exit code.
    public func run(_ options: RunOptions) throws(SwiftrunError) -> Int32 {
        if let name = options.name { try ContainerName.validate(name) }
        // Its thread overlaps all that follows (NetworkNamespaceAhead).
        let netns = NetworkNamespaceAhead(for: options)
        defer { netns?.close() }
        try layout.prepare()
        let image = try images.image(options.image)
        let ahead = try ContainerAhead(image: image, options: options, layout: layout)
        do {
            return try run(options, image: image, netns: netns, ahead: ahead, exitsNext: true)
        } catch {
            ahead?.abandon()
            throw error
        }
    }

    /// The same with the image already in hand: build's RUN steps, whose
    /// intermediate images have no name. `ahead`: the container begun
    /// before its plan, by `run` above. `exitsNext`: the CLI, which exits
    /// once this returns, so a --rm container's files, and its mount
    /// namespace, can go after it (Trash.When.afterExit).
    func run(
        _ options: RunOptions, image: Image, netns: NetworkNamespaceAhead? = nil, ahead: ContainerAhead? = nil, exitsNext: Bool = false
    ) throws(SwiftrunError) -> Int32 {
        let narrator = options.explain.map(Narrator.init)
        var plan = try ContainerPlan.prepare(options, image: image, layout: layout, start: ahead?.start)
        if let narrator { try explainPlan(narrator, plan: plan) }
        let console = try ContainerProcess.foregroundStdio(tty: options.tty, interactive: options.interactive)
        try create(&plan, chosenName: options.name != nil, ahead: ahead)
        var state = plan.state
        var files = Trash.When.now
        let status: ExitStatus
        do {
            let process: ContainerProcess
            (process, state) = try ContainerLauncher(layout: layout).launch(
                plan, narrator: narrator, console: console, early: netns, overlay: ahead?.overlay)
            if exitsNext && options.autoRemove {
                files = .afterExit(releasing: open("/proc/\(process.pid)/ns/mnt", O_RDONLY | O_CLOEXEC))
            }
            status = try process.wait(console: console, interactive: options.interactive)
        } catch {
            try? containers.finish(state, exitCode: error.runExitCode, files: files)
            throw error
        }
        try containers.finish(state, exitCode: status.code, files: files)
        narrator?.exit(
            status,
            removed: options.autoRemove
                ? [
                    "\(plan.dirs.base) (upper, work, rootfs, state: renamed into trash/, its files removed once swiftrun exits)",
                    "name \(state.name)",
                    "cgroups \(ContainerCgroup.directories(id: plan.id, mode: .host).joined(separator: ", "))"
                ]
                : [])
        return status.code
    }

    /// `run -d`: prepares here, where a bad flag or image still fails with
    /// 125; then a monitor creates and starts the container and stays as
    /// its parent. Returns the full id once the command runs.
    public func runDetached(_ options: RunOptions) throws(SwiftrunError) -> String {
        if let name = options.name { try ContainerName.validate(name) }
        if options.autoRemove && options.restart.name != .no {
            throw .invalidArgument("conflicting options: cannot specify both --restart and --rm")
        }
        try layout.prepare()
        let plan = try ContainerPlan.prepare(options, image: try images.image(options.image), layout: layout)
        try ContainerMonitor(layout: layout).handOff(plan, creating: true, chosenName: options.name != nil)
        return plan.id
    }

    /// `create`: prepare and create, then stop short of starting. The spec
    /// and a `created` state are recorded, as `start` reads them back; no
    /// process supervises the container until `start` hands it to a
    /// monitor. Returns the full id.
    public func createStopped(_ options: RunOptions) throws(SwiftrunError) -> String {
        if let name = options.name { try ContainerName.validate(name) }
        if options.autoRemove && options.restart.name != .no {
            throw .invalidArgument("conflicting options: cannot specify both --restart and --rm")
        }
        try layout.prepare()
        var detached = options
        detached.detach = true
        var plan = try ContainerPlan.prepare(detached, image: try images.image(options.image), layout: layout)
        try create(&plan, chosenName: options.name != nil)
        plan.state.status = .created
        do {
            try containers.record(plan.state, spec: plan.spec)
        } catch {
            try? containers.remove(plan.state, removingVolumes: true)
            throw error
        }
        // Recorded: from here on the container is whole without this process.
        unlink(containers.markerPath(plan.id))
        return plan.id
    }

    /// The boot hook (`swiftrun __boot`, run by swiftrun-boot.service that
    /// `make install` sets up): after a reboot no monitor is left, and the
    /// containers whose policy says so come back, as Docker's daemon
    /// brings them back when it starts: `always` ones, and `unless-stopped`
    /// ones that no `stop` ended. Their names, oldest first, to `start`.
    public func restartableAfterBoot() throws(SwiftrunError) -> [String] {
        try containers.all().reversed().filter { state in
            guard !state.isActive, state.status != .created, let policy = state.restartPolicy else { return false }
            return policy.name == .always || (policy.name == .unlessStopped && !FileSystem.exists(containers.stopRequestPath(state.id)))
        }.map(\.name)
    }

    /// `start`: a stopped container runs again on the same writable layer,
    /// under a new monitor. A running one is left as it is. `attached`:
    /// `start -a`'s end of a socketpair, the monitor's first attach client.
    /// Returns the state handed to the monitor, not read back: a `--rm`
    /// container whose command is short may be removed by then.
    public func start(_ key: String, attached: Int32 = -1) throws(SwiftrunError) -> ContainerState {
        let state = try containers.find(key)
        guard !state.isActive else { return state }
        var plan = try ContainerPlan.reload(state, layout: layout)
        plan.state.detached = true
        plan.state.status = .running
        plan.state.exitCode = nil
        plan.state.finished = nil
        plan.state.restartCount = 0
        plan.state.restartDelay = nil
        if plan.state.restartPolicy == nil { plan.state.restartPolicy = .never }
        if plan.state.logConfig == nil { plan.state.logConfig = LogConfig() }
        try ContainerMonitor(layout: layout).handOff(plan, creating: false, chosenName: true, attached: attached)
        return plan.state
    }

    /// Phase 2, create: the marker, name and dirs, the upper dir's root
    /// with the image's owner and mode; with `ahead`, only the name is
    /// left to claim. A generated name that collides with an existing one
    /// is drawn again.
    func create(_ plan: inout ContainerPlan, chosenName: Bool, ahead: ContainerAhead? = nil) throws(SwiftrunError) {
        while true {
            do {
                if let ahead { try ahead.take(plan.state) } else { try containers.create(plan.state, over: plan.layers[plan.layers.count - 1]) }
                break
            } catch .nameInUse where !chosenName {
                plan.state.name = ContainerName.random() + "_" + String(UInt16.random(in: 0...UInt16.max))
            }
        }
        do {
            try attachVolumes(plan)
        } catch {
            // Its anonymous volumes were made for it alone, and never used.
            try? containers.remove(plan.state, removingVolumes: true)
            throw error
        }
    }

    /// The container's volumes, made if missing, recorded in its dir first
    /// so that removing it finds them whatever happens after. An empty one
    /// gets what the image has at its path, read from the container's own
    /// overlay, mounted detached and only if needed.
    private func attachVolumes(_ plan: ContainerPlan) throws(SwiftrunError) {
        guard !plan.volumes.isEmpty else { return }
        try containers.recordVolumes(plan.volumes.map(\.name), of: plan.id)
        var root: Int32 = -1
        defer { if root >= 0 { close(root) } }
        try VolumeStore(layout: layout).attach(plan.volumes, to: plan.id) { (use, mountpoint) throws(SwiftrunError) in
            if root < 0 { root = try ContainerCopy.mountOverlay(layers: plan.lowerLayers, dirs: plan.dirs, describe: plan.state.name) }
            try ContainerCopy(layout: layout).copyUp(root: root, path: use.destination, into: mountpoint)
        }
    }

    /// --explain: the parent's decisions before the child exists.
    private func explainPlan(_ narrator: Narrator, plan: ContainerPlan) throws(SwiftrunError) {
        let (image, layers, spec, seccompBytes) = (plan.image, plan.layers, plan.spec, plan.seccomp)
        let blobs = image.manifest.layers
        let layerData: [JSONValue] = image.configuration.rootfs.diff_ids.enumerated().map { index, diffID in
            .object([
                "diff_id": .string(diffID.description),
                "size": .integer(index < blobs.count ? blobs[index].size : 0)
            ])
        }
        let strings = { (values: [String]) in JSONValue.array(values.map(JSONValue.string)) }
        let initLayer = plan.initLayer
        var imageData: [String: JSONValue] = [
            "image": .string(image.manifestDigest.description), "layers": .array(layerData), "upper": .string(plan.dirs.upper),
            "rootfs": .string(plan.dirs.rootfs), "masked": strings(spec.linux.maskedPaths),
            "readonly": strings(spec.linux.readonlyPaths)
        ]
        imageData["init"] = initLayer.map(JSONValue.string)
        narrator.parent(
            "image",
            "\(image.manifestDigest.short) with \(layers.count) layer(s): \(layers.joined(separator: ", "))"
                + (initLayer.map { "; init layer \($0) (the mount targets the image lacks)" } ?? ""),
            why: "an image is read-only layers plus a config", manual: "OCI image-spec", data: imageData)
        let kept = spec.process.capabilities.bounding
        let dropped = Capabilities.all().filter { !kept.contains($0) }
        narrator.parent(
            "capabilities", "keep \(kept.joined(separator: " ")); drop \(dropped.joined(separator: " "))",
            why: "root in a container gets only some of root's powers", manual: "capabilities(7)",
            data: ["kept": strings(kept), "dropped": strings(dropped)])
        let bpf = seccompBytes.map { " (\($0.count / 8) BPF instructions)" } ?? ""
        narrator.parent(
            "seccomp", try spec.seccompPolicy.summary(capabilities: kept) + bpf,
            why: "the kernel refuses syscalls containers never need", manual: "seccomp(2)")
        narrator.parent(
            "no_new_privs", spec.process.noNewPrivileges ? "on" : "off (--security-opt no-new-privileges turns it on)",
            why: "with it, setuid binaries cannot gain privileges", manual: "prctl(2)", data: ["on": .bool(spec.process.noNewPrivileges)])
        let user = spec.process.user
        narrator.parent(
            "user", "uid \(user.uid), gid \(user.gid), groups \(user.additionalGids)",
            why: "who the process will be inside", manual: "credentials(7)",
            data: ["uid": .integer(Int64(user.uid)), "gid": .integer(Int64(user.gid))])
    }
}
