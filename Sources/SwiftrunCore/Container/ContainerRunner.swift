import Glibc

/// `swiftrun run`, from an image name to the container's exit code.
///
///  1. resolve the image and its layer dirs    (Store/ImageStore.swift)
///  2. image + flags -> OCI-shaped spec         (Container/RuntimeSpec.swift)
///  3. claim the container's name and dirs     (Container/ContainerStore.swift)
///  4. seccomp BPF, compiled or from cache      (Security/SeccompPolicy.swift)
///  5. spec -> flat C struct, cgroups,
///     clone3, child                           (Linux/ChildSpec.swift, Cgroups/ContainerCgroup.swift, CShims/child.c)
///  6. forward signals, wait, clean up         (Linux/ContainerProcess.swift)
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
        try layout.prepare()
        return try run(options, image: try images.image(options.image))
    }

    /// The same with the image already in hand: build's RUN steps, whose
    /// intermediate images have no name.
    func run(_ options: RunOptions, image: Image) throws(SwiftrunError) -> Int32 {
        // overlayfs needs a lower layer; an empty image (FROM scratch with nothing added) has nothing to run.
        let layers = images.layerDirectories(of: image)
        guard let topLayer = layers.last else {
            throw .invalidArgument("\(options.image): the image has no layers, so there is nothing to run")
        }
        let narrator = options.explain.map(Narrator.init)
        let id = ContainerID.generate()
        let dirs = containers.directories(id)
        let spec = try RuntimeSpec(
            image: image.configuration, options: options, id: id, rootfs: dirs.rootfs,
            imageFile: { (path) throws(SwiftrunError) in try images.readFile(path, in: image) })
        let seccomp = try spec.seccompPolicy.filter(capabilities: spec.process.capabilities.bounding, layout: layout)
        if let narrator { try explainPlan(narrator, image: image, layers: layers, spec: spec, seccompBytes: seccomp) }

        var state = ContainerState(
            id: id, name: options.name ?? ContainerName.random(), image: options.image, imageID: image.id,
            imageManifest: image.manifestDigest,
            command: spec.process.args, created: JSON.timestamp(), autoRemove: options.autoRemove,
            status: .running, monitor: try ProcessIdentity.current())
        try createWithName(&state, chosen: options.name != nil)

        let status: ExitStatus
        do {
            try FileSystem.copyOwnerAndMode(from: topLayer, to: dirs.upper)
            let child = try ChildSpec(
                spec: spec, overlayOptions: overlayOptions(layers: layers, dirs: dirs), seccomp: seccomp,
                narrate: narrator != nil)
            let cgroup = try ContainerCgroup.create(id: id, resources: spec.linux.resources) { file, value in
                narrator?.parent("cgroup", "\(file) = \(value)", why: "limits and the device filter, set before the child runs", manual: "cgroups(7)")
            }
            let unifiedFD = cgroup.unifiedDirectory.map { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } ?? -1
            defer { if unifiedFD >= 0 { close(unifiedFD) } }
            child.startIn(cgroup: unifiedFD)
            let process = try ContainerProcess.start(
                child,
                placing: { (pid) throws(SwiftrunError) in
                    narrator?.cloned(pid: pid, flags: child.cloneFlagNames)
                    try cgroup.add(pid, bornIn: child.raw.cgroup_fd >= 0 ? cgroup.unifiedDirectory : nil) { file, value in
                        narrator?.parent("cgroup", "\(file) = \(value)", why: "the child starts inside its cgroups", manual: "cgroups(7)")
                    }
                },
                started: { (pid) throws(SwiftrunError) in
                    state.pid = pid
                    try containers.record(state, spec: spec)
                },
                stepDone: { narrator?.child($0) })
            status = try process.wait()
        } catch {
            try? containers.finish(state, exitCode: error.runExitCode)
            throw error
        }
        try containers.finish(state, exitCode: status.code)
        narrator?.exit(
            status,
            removed: options.autoRemove
                ? [
                    "\(dirs.base) (upper, work, rootfs, state)", "name \(state.name)",
                    "cgroups \(ContainerCgroup.directories(id: id, mode: .host).joined(separator: ", "))"
                ]
                : [])
        return status.code
    }

    /// --explain: the parent's decisions before the child exists.
    private func explainPlan(_ narrator: Narrator, image: Image, layers: [String], spec: RuntimeSpec, seccompBytes: [UInt8]?) throws(SwiftrunError) {
        narrator.parent(
            "image", "\(image.manifestDigest.short) with \(layers.count) layer(s): \(layers.joined(separator: ", "))",
            why: "an image is read-only layers plus a config", manual: "OCI image-spec")
        let kept = spec.process.capabilities.bounding
        let dropped = Capabilities.all().filter { !kept.contains($0) }
        narrator.parent(
            "capabilities", "keep \(kept.joined(separator: " ")); drop \(dropped.joined(separator: " "))",
            why: "root in a container gets only some of root's powers", manual: "capabilities(7)")
        let bpf = seccompBytes.map { " (\($0.count / 8) BPF instructions)" } ?? ""
        narrator.parent(
            "seccomp", try spec.seccompPolicy.summary(capabilities: kept) + bpf,
            why: "the kernel refuses syscalls containers never need", manual: "seccomp(2)")
        narrator.parent(
            "no_new_privs", spec.process.noNewPrivileges ? "on" : "off (--security-opt no-new-privileges turns it on)",
            why: "with it, setuid binaries cannot gain privileges", manual: "prctl(2)")
        let user = spec.process.user
        narrator.parent(
            "user", "uid \(user.uid), gid \(user.gid), groups \(user.additionalGids)",
            why: "who the process will be inside", manual: "credentials(7)")
    }

    /// A generated name may collide with an existing one: pick another.
    private func createWithName(_ state: inout ContainerState, chosen: Bool) throws(SwiftrunError) {
        while true {
            do {
                try containers.create(state)
                return
            } catch .nameInUse where !chosen {
                state.name = ContainerName.random() + "_" + String(UInt16.random(in: 0...UInt16.max))
            }
        }
    }

    /// overlayfs(5): lowerdir lists the top layer first, so the image's
    /// layers (stored lowest first) are reversed.
    private func overlayOptions(layers: [String], dirs: ContainerStore.Directories) -> String {
        let lower = layers.reversed().joined(separator: ":")
        return "lowerdir=\(lower),upperdir=\(dirs.upper),workdir=\(dirs.work)"
    }
}
