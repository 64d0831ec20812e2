/// Any Gymnasium environment with a discrete action space, through the bridge, with explicit
/// resets: a `GymnasiumVectorEnvironment` of one. Vector observations arrive as float32 and are
/// copied; picture observations (ViZDoom's screen, say) go through a `FramePipeline`: grey,
/// optionally cropped, resized and stacked.
public final class GymnasiumEnvironment: Environment {
    public let id: String
    public let observationSpace: BoxSpace
    public let actionCount: Int
    private let vector: GymnasiumVectorEnvironment

    /// How pictures are made into observations.
    public struct FrameOptions: Sendable, Hashable {
        public var height = 84, width = 84, stack = 4
        public var crop = FramePipeline.Crop()
        /// Rewards of picture observations are clipped to [-1, 1] for learning (`score` keeps them).
        public var clipRewards = false
        public init(
            height: Int = 84, width: Int = 84, stack: Int = 4, crop: FramePipeline.Crop = FramePipeline.Crop(), clipRewards: Bool = false
        ) {
            self.height = height
            self.width = width
            self.stack = stack
            self.crop = crop
            self.clipRewards = clipRewards
        }
    }

    public init(id: String, makeArguments: [String: Any] = [:], frames: FrameOptions = FrameOptions()) throws {
        self.id = id
        vector = try GymnasiumVectorEnvironment(id: id, makeArguments: makeArguments, frames: frames, count: 1)
        observationSpace = vector.observationSpace
        actionCount = vector.actionCount
    }

    /// The host's process id (tests kill it to check that a dead host is an error, not a hang).
    public var hostProcessIdentifier: Int32 { vector.hostProcessIdentifier }

    /// Gymnasium's registered reward threshold (LunarLander-v3: 200).
    public var rewardThreshold: Double? { vector.rewardThreshold }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        try vector.resetFirst(seed: seed, into: observation.baseAddress!)
    }

    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        try vector.stepFirst(action, into: observation.baseAddress!)
    }

    /// The colour picture, for environments made with render_mode "rgb_array"; for picture
    /// observations, the observation itself.
    public func render() -> RGBFrame? { vector.render(0) }

    public func close() { vector.close() }
}
