/// Writing config.json: each type's fields as a JSONTree, under the names
/// the runtime spec gives them (JSONTreeRepresentable says why not
/// Encodable). A nil optional is left out, as the spec's readers expect of
/// a field nobody set. RuntimeSpec+Decoding.swift reads the same fields.
extension RuntimeSpec: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "ociVersion": ociVersion.jsonTree, "process": process.jsonTree, "root": root.jsonTree, "hostname": hostname.jsonTree,
            "mounts": mounts.jsonTree, "linux": linux.jsonTree, "annotations": annotations.jsonTree, "hooks": hooks?.jsonTree
        ])
    }
}

extension RuntimeSpec.Process: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "terminal": terminal.jsonTree, "user": user.jsonTree, "args": args.jsonTree, "env": env.jsonTree, "cwd": cwd.jsonTree,
            "capabilities": capabilities.jsonTree, "rlimits": rlimits.jsonTree, "noNewPrivileges": noNewPrivileges.jsonTree,
            "consoleSize": consoleSize?.jsonTree, "oomScoreAdj": oomScoreAdj?.jsonTree, "apparmorProfile": apparmorProfile?.jsonTree,
            "selinuxLabel": selinuxLabel?.jsonTree
        ])
    }
}

extension RuntimeSpec.ConsoleSize: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["height": height.jsonTree, "width": width.jsonTree]) }
}

extension RuntimeSpec.User: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields(["uid": uid.jsonTree, "gid": gid.jsonTree, "additionalGids": additionalGids.jsonTree, "umask": umask?.jsonTree])
    }
}

extension RuntimeSpec.CapabilitySets: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "bounding": bounding.jsonTree, "effective": effective.jsonTree, "permitted": permitted.jsonTree,
            "inheritable": inheritable.jsonTree, "ambient": ambient.jsonTree
        ])
    }
}

extension RuntimeSpec.Rlimit: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["type": type.jsonTree, "hard": hard.jsonTree, "soft": soft.jsonTree]) }
}

extension RuntimeSpec.Root: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["path": path.jsonTree, "readonly": readonly.jsonTree]) }
}

extension RuntimeSpec.Mount: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields(["destination": destination.jsonTree, "type": type.jsonTree, "source": source.jsonTree, "options": options.jsonTree])
    }
}

extension RuntimeSpec.Linux: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "namespaces": namespaces.jsonTree, "maskedPaths": maskedPaths.jsonTree, "readonlyPaths": readonlyPaths.jsonTree,
            "devices": devices.jsonTree, "resources": resources.jsonTree, "cgroupsPath": cgroupsPath?.jsonTree,
            "sysctl": sysctl?.jsonTree, "seccomp": seccomp?.jsonTree, "rootfsPropagation": rootfsPropagation?.jsonTree,
            "uidMappings": uidMappings?.jsonTree, "gidMappings": gidMappings?.jsonTree, "intelRdt": intelRdt?.jsonTree
        ])
    }
}

extension RuntimeSpec.IntelRdt: JSONTreeRepresentable {
    var jsonTree: JSONTree { .object([:]) }
}

extension RuntimeSpec.IDMapping: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["containerID": containerID.jsonTree, "hostID": hostID.jsonTree, "size": size.jsonTree]) }
}

extension RuntimeSpec.Hooks: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "prestart": prestart?.jsonTree, "createRuntime": createRuntime?.jsonTree, "createContainer": createContainer?.jsonTree,
            "startContainer": startContainer?.jsonTree, "poststart": poststart?.jsonTree, "poststop": poststop?.jsonTree
        ])
    }
}

/// An OCI state record (RuntimeRecord) keeps the hooks too.
extension RuntimeSpec.Hooks: Encodable {
    public func encode(to encoder: any Encoder) throws { try jsonTree.encode(to: encoder) }
}

extension RuntimeSpec.Hook: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields(["path": path.jsonTree, "args": args?.jsonTree, "env": env?.jsonTree, "timeout": timeout?.jsonTree])
    }
}

extension RuntimeSpec.Namespace: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["type": type.jsonTree, "path": path?.jsonTree]) }
}

extension RuntimeSpec.Device: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "path": path.jsonTree, "type": type.jsonTree, "major": major.jsonTree, "minor": minor.jsonTree,
            "fileMode": fileMode.jsonTree, "uid": uid.jsonTree, "gid": gid.jsonTree
        ])
    }
}

extension RuntimeSpec.Resources: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields(["devices": devices.jsonTree, "memory": memory?.jsonTree, "cpu": cpu?.jsonTree, "pids": pids?.jsonTree])
    }
}

extension RuntimeSpec.Memory: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields(["limit": limit?.jsonTree, "reservation": reservation?.jsonTree, "swap": swap?.jsonTree])
    }
}

extension RuntimeSpec.CPU: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields(["shares": shares?.jsonTree, "quota": quota?.jsonTree, "period": period?.jsonTree, "cpus": cpus?.jsonTree])
    }
}

extension RuntimeSpec.Pids: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["limit": limit.jsonTree]) }
}

extension RuntimeSpec.DeviceRule: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "allow": allow.jsonTree, "type": type.jsonTree, "major": major?.jsonTree, "minor": minor?.jsonTree, "access": access.jsonTree
        ])
    }
}

extension SeccompProfile: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "defaultAction": defaultAction.jsonTree, "defaultErrnoRet": defaultErrnoRet?.jsonTree, "archMap": archMap?.jsonTree,
            "architectures": architectures?.jsonTree, "syscalls": syscalls?.jsonTree
        ])
    }
}

extension SeccompProfile.ArchMap: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["architecture": architecture.jsonTree, "subArchitectures": subArchitectures?.jsonTree]) }
}

extension SeccompProfile.Rule: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields([
            "names": names?.jsonTree, "name": name?.jsonTree, "action": action.jsonTree, "errnoRet": errnoRet?.jsonTree,
            "args": args?.jsonTree, "includes": includes?.jsonTree, "excludes": excludes?.jsonTree
        ])
    }
}

extension SeccompProfile.Argument: JSONTreeRepresentable {
    var jsonTree: JSONTree {
        .fields(["index": index.jsonTree, "value": value.jsonTree, "valueTwo": valueTwo?.jsonTree, "op": op.jsonTree])
    }
}

extension SeccompProfile.Condition: JSONTreeRepresentable {
    var jsonTree: JSONTree { .fields(["caps": caps?.jsonTree, "arches": arches?.jsonTree, "minKernel": minKernel?.jsonTree]) }
}
