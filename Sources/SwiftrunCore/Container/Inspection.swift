/// `swiftrun inspect`: a container's or an image's details as JSON, with
/// Docker's top-level field names where Docker has them.
public struct Inspection {
    let layout: StoreLayout

    public init(layout: StoreLayout) { self.layout = layout }

    struct ContainerDocument: Encodable {
        var Id: String
        var Name: String
        var Created: String
        var Image: Digest
        var State: StateDocument
        var Config: RuntimeSpec?
    }

    struct StateDocument: Encodable {
        var Status: String
        var Running: Bool
        var Pid: Int32
        var ExitCode: Int32
        var OOMKilled: Bool
        var FinishedAt: String?
    }

    public func describe(_ target: String) throws(SwiftrunError) -> String {
        let containers = ContainerStore(layout: layout)
        if let state = try? containers.find(target) {
            let configPath = layout.container(state.id) + "/config.json"
            let spec = try? JSON.decode(RuntimeSpec.self, from: try FileSystem.readFile(configPath), path: configPath)
            let running = state.status == .running
            let document = ContainerDocument(
                Id: state.id, Name: state.name, Created: state.created, Image: state.imageID,
                State: .init(
                    Status: state.status.rawValue, Running: running, Pid: running ? state.pid ?? 0 : 0,
                    ExitCode: state.exitCode ?? 0, OOMKilled: state.oomKilled ?? false, FinishedAt: state.finished),
                Config: spec)
            return String(decoding: try JSON.encode(document), as: UTF8.self)
        }
        let images = ImageStore(layout: layout)
        return String(decoding: try JSON.encode(try ImageInspection(store: images, image: try images.image(target))), as: UTF8.self)
    }
}
