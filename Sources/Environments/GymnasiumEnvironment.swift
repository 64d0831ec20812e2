/// Any Gymnasium environment with a discrete action space, through the bridge. Vector observations
/// arrive as float32 and are copied; picture observations (ViZDoom's screen, say) go through a
/// `FramePipeline`: grey, optionally cropped, resized and stacked.
public final class GymnasiumEnvironment: Environment {
    public let id: String
    public let observationSpace: BoxSpace
    public let actionCount: Int
    private let host: GymnasiumHost
    private let pipeline: FramePipeline?
    private let observationCount: Int

    /// How pictures are made into observations.
    public struct FrameOptions: Sendable, Hashable {
        public var height = 84, width = 84, stack = 4
        public var crop = FramePipeline.Crop()
        public init(height: Int = 84, width: Int = 84, stack: Int = 4, crop: FramePipeline.Crop = FramePipeline.Crop()) {
            self.height = height
            self.width = width
            self.stack = stack
            self.crop = crop
        }
    }

    public init(id: String, makeArguments: [String: Any] = [:], frames: FrameOptions = FrameOptions()) throws {
        self.id = id
        host = try GymnasiumHost(id: id, mode: "generic", options: ["make_kwargs": makeArguments])
        let description = host.description
        actionCount = description.actions
        if description.observation_dtype == "uint8" && (description.observation_shape.count == 3 || description.observation_shape.count == 2) {
            let shape = description.observation_shape
            pipeline = try FramePipeline(
                inputHeight: shape[0], inputWidth: shape[1], inputChannels: shape.count == 3 ? shape[2] : 1,
                outputHeight: frames.height, outputWidth: frames.width, stackSize: frames.stack, crop: frames.crop)
            observationSpace = BoxSpace(shape: pipeline!.observationShape, low: 0, high: 1)
        } else {
            guard description.observation_dtype == "float32" else {
                throw BridgeError("\(id): observations of type \(description.observation_dtype) are not supported")
            }
            pipeline = nil
            observationSpace = BoxSpace(shape: description.observation_shape, low: -.infinity, high: .infinity)
        }
        observationCount = observationSpace.count
    }

    deinit { host.close() }

    public var hostProcessIdentifier: Int32 { host.processIdentifier }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        _ = try host.reset(seed: seed)
        deliver(into: observation, reset: true)
    }

    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        precondition(action >= 0 && action < actionCount, "\(id) action must be in 0..<\(actionCount), got \(action)")
        let reply = try host.step(action)
        deliver(into: observation, reset: false)
        return StepResult(reward: reply.reward, terminated: reply.terminated, truncated: reply.truncated)
    }

    private func deliver(into observation: UnsafeMutableBufferPointer<Float>, reset: Bool) {
        if let pipeline {
            pipeline.push(host.shared.assumingMemoryBound(to: UInt8.self), reset: reset)
            pipeline.write(into: observation)
        } else {
            observation.baseAddress!.update(from: host.shared.assumingMemoryBound(to: Float.self), count: observationCount)
        }
    }

    /// The colour picture, for environments made with render_mode "rgb_array"; for picture
    /// observations, the observation itself.
    public func render() -> RGBFrame? {
        let description = host.description
        if let shape = description.frame_shape, shape.count == 3, shape[2] == 3, (try? host.renderFrame()) != nil {
            return host.sharedFrame(at: description.observation_bytes, shape: shape)
        }
        let shape = description.observation_shape
        if pipeline != nil, shape.count == 3, shape[2] == 3 { return host.sharedFrame(at: 0, shape: shape) }
        return nil
    }

    public func close() { host.close() }
}
