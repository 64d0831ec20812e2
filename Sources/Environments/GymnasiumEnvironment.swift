/// Any Gymnasium environment with a discrete or Box action space, through the bridge, with explicit
/// resets: a `GymnasiumVectorEnvironment` of one. Vector observations arrive as float32 and are
/// copied; picture observations (ViZDoom's screen, say) go through a `FramePipeline`: grey,
/// optionally cropped, resized and stacked.
public final class GymnasiumEnvironment: Environment {
    /// The Gymnasium id the host passes to `gymnasium.make`.
    public let id: String
    /// Float32 vectors as the environment reports them (unbounded), or stacked grey frames in [0, 1].
    public let observationSpace: BoxSpace
    /// Size of the environment's discrete action space, or its Box's dimensions.
    public let actionCount: Int
    /// Discrete, or a Box with the environment's bounds.
    public var actionSpace: ActionSpace { vector.actionSpace }
    private let vector: GymnasiumVectorEnvironment

    /// How pictures are made into observations.
    public struct FrameOptions: Sendable, Hashable {
        /// Size of each processed frame in pixels, and the number of frames stacked as channels.
        public var height = 84, width = 84, stack = 4
        /// Pixels cut from each edge of the picture before it is resized.
        public var crop = FramePipeline.Crop()
        /// Rewards of picture observations are clipped to [-1, 1] for learning (`score` keeps them).
        public var clipRewards = false
        /// Each frame less its most common grey level (its background).
        public var subtractBackground = false
        /// Options for pictures; the defaults are 84x84 frames, 4 stacked, no crop, no background subtraction and no reward clipping.
        public init(
            height: Int = 84, width: Int = 84, stack: Int = 4, crop: FramePipeline.Crop = FramePipeline.Crop(), clipRewards: Bool = false,
            subtractBackground: Bool = false
        ) {
            self.subtractBackground = subtractBackground
            self.height = height
            self.width = width
            self.stack = stack
            self.crop = crop
            self.clipRewards = clipRewards
        }
    }

    /// Starts a host process running `gymnasium.make(id, **makeArguments)`; throws if it cannot start.
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

    /// Resets the hosted environment (with `seed`, or continuing its random stream) and writes its first observation.
    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        try vector.resetFirst(seed: seed, into: observation.baseAddress!)
    }

    /// Steps the hosted environment (no autoreset) and delivers its next observation and result.
    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        try vector.stepFirst(action, into: observation.baseAddress!)
    }

    /// Steps the hosted environment with a continuous action (no autoreset).
    public func step(continuous action: UnsafePointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        try vector.stepFirst(continuous: action, into: observation.baseAddress!)
    }

    /// The colour picture, for environments made with render_mode "rgb_array"; for picture
    /// observations, the observation itself.
    public func render() -> RGBFrame? { vector.render(0) }

    /// Stops the host process.
    public func close() { vector.close() }
}
