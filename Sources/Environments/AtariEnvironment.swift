/// An Atari game through the Gymnasium bridge (ale-py's `ALE/<Game>-v5`) with the paper's
/// preprocessing: the host steps the emulator with frame skip and max-pooling over the last two
/// frames, applies no-op starts and FIRE on reset, and sends one grey 210x160 frame per step;
/// Swift resizes and stacks it, clips rewards and turns a lost life into the end of a training
/// episode while `score` and `gameOver` follow the real game.
public final class AtariEnvironment: Environment {
    public let id: String
    public let options: AtariOptions
    public let observationSpace: BoxSpace
    public let actionCount: Int
    public let actionMeanings: [String]
    private let host: GymnasiumHost
    private let pipeline: FramePipeline
    private var lives = 0
    /// The last step ended the game (so the next reset is a real one).
    private var needsHardReset = true
    /// Game score from the steps a reset after a lost life takes; reported with the next step.
    private var pendingScore = 0.0

    public init(id: String, options: AtariOptions = AtariOptions()) throws {
        self.id = id
        self.options = options
        host = try GymnasiumHost(
            id: id, mode: "atari",
            options: [
                "frame_skip": options.frameSkip, "noop_max": options.noopMax, "fire_reset": options.fireReset,
                "make_kwargs": ["repeat_action_probability": options.repeatActionProbability],
            ])
        let shape = host.description.observation_shape
        pipeline = try FramePipeline(
            inputHeight: shape[0], inputWidth: shape[1], inputChannels: 1, outputHeight: options.frameSize,
            outputWidth: options.frameSize, stackSize: options.frameStack)
        observationSpace = BoxSpace(shape: pipeline.observationShape, low: 0, high: 1)
        actionCount = host.description.actions
        actionMeanings = host.description.action_meanings
    }

    deinit { host.close() }

    /// The host's process id (tests kill it to check that a dead host is an error, not a hang).
    public var hostProcessIdentifier: Int32 { host.processIdentifier }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) throws {
        if needsHardReset || seed != nil || !options.episodicLife {
            let reply = try host.reset(seed: seed)
            lives = reply.lives
            pendingScore = 0
            needsHardReset = false
        } else {
            // After a lost life the game goes on: a no-op step (and FIRE where the game needs it).
            // Their points count for the game and come with the next step. (A game cannot end here:
            // a life is only lost while lives remain; should one end anyway, a new game starts.)
            var reply = try host.step(0)
            pendingScore += reply.reward
            if host.description.needs_fire && !reply.gameOver {
                reply = try host.step(1)
                pendingScore += reply.reward
            }
            lives = reply.lives
            if reply.gameOver {
                _ = try host.reset(seed: nil)
                pendingScore = 0
                needsHardReset = false
            }
        }
        pipeline.push(host.shared.assumingMemoryBound(to: UInt8.self), reset: true)
        pipeline.write(into: observation)
    }

    public func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        precondition(action >= 0 && action < actionCount, "\(id) action must be in 0..<\(actionCount), got \(action)")
        let reply = try host.step(action)
        pipeline.push(host.shared.assumingMemoryBound(to: UInt8.self))
        pipeline.write(into: observation)
        // A life counts as lost only while some remain (games can show 0 lives before game over).
        let lostLife = reply.lives < lives && reply.lives > 0
        lives = reply.lives
        if reply.gameOver { needsHardReset = true }
        let reward = options.clipRewards ? (reply.reward > 0 ? 1 : (reply.reward < 0 ? -1 : 0)) : reply.reward
        let score = reply.reward + pendingScore
        pendingScore = 0
        return StepResult(
            reward: reward,
            terminated: reply.terminated || (options.episodicLife && lostLife && !reply.gameOver),
            truncated: reply.truncated, score: score, gameOver: reply.gameOver)
    }

    /// The game's colour screen at native resolution.
    public func render() -> RGBFrame? {
        guard let shape = host.description.frame_shape, (try? host.renderFrame()) != nil else { return nil }
        return host.sharedFrame(at: host.description.observation_bytes, shape: shape)
    }

    public func close() { host.close() }
}
