/// Copies of one Gymnasium environment hosted by one Python process (`GymnasiumHost`): a step of all
/// of them is one request and one reply, and the host starts the next episode of those whose episode
/// ended in the same request (same-step autoreset).
///
/// Atari (`init(atari:)`): the paper's preprocessing. The host steps the emulator with frame skip and
/// max-pooling over the last two frames, starts games with 1 to `noopMax` single-frame no-ops and
/// FIRE, continues a game after a lost life (a no-op step, FIRE) and sends one grey 210x160 frame per
/// environment; Swift resizes and stacks it, clips rewards, and reports the game's own points as
/// `score` (those of a continuation with the next step), while a lost life ends the training episode
/// and `gameOver` follows the real game.
///
/// Any other id (`init(id:)`): vector observations arrive as float32 and are copied; pictures
/// (ViZDoom's screen) go through a `FramePipeline` per environment, their rewards clipped when
/// asked. A ViZDoom time-out is a truncation.
///
/// `AtariEnvironment` and `GymnasiumEnvironment` are this with one environment and explicit resets.
/// Not thread-safe: one worker owns it.
public final class GymnasiumVectorEnvironment: VectorEnvironment {
    /// The Gymnasium id every copy was made from.
    public let id: String
    /// Number of environment copies the host runs.
    public let count: Int
    /// One environment's observation: float32 vectors, or stacked grey frames in [0, 1].
    public let observationSpace: BoxSpace
    /// Size of the discrete action space, the same for every copy.
    public let actionCount: Int
    /// Discrete, or a Box with the environment's bounds (the host says which).
    public let actionSpace: ActionSpace
    /// What each action does, as the environment names it.
    public let actionMeanings: [String]
    /// Gymnasium's registered reward threshold for the id, if it has one.
    public let rewardThreshold: Double?
    let host: GymnasiumHost
    /// One per environment; empty for vector observations.
    private let pipelines: [FramePipeline]
    private let clipRewards: Bool
    private let width: Int
    /// Game points the host scored after an environment's last step (continuing after a lost life):
    /// they count with its next step.
    private var pendingScores: [Double]

    /// `count` Atari games `id` (`ALE/<Game>-v5`) with `options`; `makeArguments` go to
    /// `gymnasium.make` (e.g. `max_num_frames_per_episode`).
    public convenience init(
        atari id: String, options: AtariOptions = AtariOptions(), count: Int, makeArguments: [String: Any] = [:]
    ) throws {
        var arguments = makeArguments
        arguments["repeat_action_probability"] = options.repeatActionProbability
        let host = try GymnasiumHost(
            id: id, mode: "atari", count: count,
            options: [
                "frame_skip": options.frameSkip, "noop_max": options.noopMax, "fire_reset": options.fireReset,
                "episodic_life": options.episodicLife, "make_kwargs": arguments,
            ],
            program: try Self.atariProgram(id: id, host: options.host, makeArguments: arguments))
        let shape = host.description.observation_shape
        var pipelines: [FramePipeline] = []
        for _ in 0..<count {
            pipelines.append(
                try FramePipeline(
                    inputHeight: shape[0], inputWidth: shape[1], inputChannels: 1, outputHeight: options.frameSize,
                    outputWidth: options.frameSize, stackSize: options.frameStack, crop: options.crop,
                    subtractBackground: options.subtractBackground))
        }
        self.init(
            id: id, host: host, pipelines: pipelines, observationSpace: pipelines[0].observationSpace,
            clipRewards: options.clipRewards)
    }

    /// `count` copies of any Gymnasium id with a discrete action space; `makeArguments` go to
    /// `gymnasium.make`, `frames` says how pictures become observations.
    public convenience init(
        id: String, makeArguments: [String: Any] = [:], frames: GymnasiumEnvironment.FrameOptions = .init(), count: Int
    ) throws {
        let host = try GymnasiumHost(id: id, mode: "generic", count: count, options: ["make_kwargs": makeArguments])
        let description = host.description
        let shape = description.observation_shape
        var pipelines: [FramePipeline] = []
        let observationSpace: BoxSpace
        if description.observation_dtype == "uint8" && (shape.count == 3 || shape.count == 2) {
            for _ in 0..<count {
                pipelines.append(
                    try FramePipeline(
                        inputHeight: shape[0], inputWidth: shape[1], inputChannels: shape.count == 3 ? shape[2] : 1,
                        outputHeight: frames.height, outputWidth: frames.width, stackSize: frames.stack, crop: frames.crop,
                        subtractBackground: frames.subtractBackground))
            }
            observationSpace = pipelines[0].observationSpace
        } else {
            guard description.observation_dtype == "float32" else {
                host.close()
                throw BridgeError("\(id): observations of type \(description.observation_dtype) are not supported")
            }
            observationSpace = BoxSpace(shape: shape, low: -.infinity, high: .infinity)
        }
        // Clipping is for pictures (ViZDoom); vector-observation tasks keep their rewards.
        self.init(
            id: id, host: host, pipelines: pipelines, observationSpace: observationSpace,
            clipRewards: frames.clipRewards && !pipelines.isEmpty)
    }

    /// What both kinds share once the host runs and the pipelines exist.
    private init(
        id: String, host: GymnasiumHost, pipelines: [FramePipeline], observationSpace: BoxSpace, clipRewards: Bool
    ) {
        self.id = id
        self.host = host
        self.pipelines = pipelines
        self.observationSpace = observationSpace
        self.clipRewards = clipRewards
        count = host.count
        actionCount = host.description.actions
        if let low = host.description.action_low, let high = host.description.action_high {
            actionSpace = .box(low: low, high: high)
        } else {
            actionSpace = .discrete(count: host.description.actions)
        }
        actionMeanings = host.description.action_meanings
        rewardThreshold = host.description.reward_threshold
        width = observationSpace.count
        pendingScores = [Double](repeating: 0, count: count)
    }

    deinit { host.close() }

    /// The host's process id (tests kill it to check that a dead host is an error, not a hang).
    public var hostProcessIdentifier: Int32 { host.processIdentifier }

    /// What steps the environments, in a few words ("native ALE 0.12.1", "Python (Gymnasium)").
    public var hostDescription: String { host.programDescription }

    /// The make arguments the native Atari host takes (AtariEnv's own, as ALE/...-v5 registers them).
    static let nativeAtariArguments: Set<String> = [
        "repeat_action_probability", "full_action_space", "max_num_frames_per_episode", "mode", "difficulty",
    ]

    /// The program that runs `id` with `host` asked for: `.native` takes the native host, which must
    /// be built and run the id (`ALE/<Game>-v5` with AtariEnv's own arguments), or it is an error;
    /// `.auto` takes the native host where it could, else the Python host.
    static func atariProgram(id: String, host: AtariHost, makeArguments: [String: Any]) throws -> GymnasiumHost.Program {
        if host == .python { return .python }
        let unsupported = makeArguments.keys.filter { !nativeAtariArguments.contains($0) }.sorted()
        let reason: String? =
            if !(id.hasPrefix("ALE/") && id.hasSuffix("-v5")) { "it runs ALE/<Game>-v5 ids" }
            else if !unsupported.isEmpty { "it does not take \(unsupported.joined(separator: ", "))" }
            else if BridgeLocation.nativeAtariHost == nil { "it is not built (scripts/setup.sh builds it)" }
            else { nil }
        if let reason {
            if host == .auto { return .python }
            throw BridgeError("\(id): --atari-host native cannot run it: \(reason)")
        }
        return .nativeAtari(BridgeLocation.nativeAtariHost!)
    }

    /// Environment `i`'s episode frame number after the last call (emulator frames for Atari,
    /// steps otherwise).
    public func episodeFrameNumber(_ i: Int) -> Int { host.replies[i].frameNumber }

    /// Resets every copy with its own seed in one request and writes their first observations, one row each.
    public func reset(seeds: [UInt64], into observations: UnsafeMutablePointer<Float>) throws {
        precondition(seeds.count == count, "one seed per environment")
        try host.reset { seeds[$0] }
        for i in 0..<count {
            pendingScores[i] = 0
            deliver(i, from: host.observation(i), reset: true, into: observations + i * width)
        }
    }

    /// Steps every copy in one request; those whose episode ended restart at once (same-step autoreset).
    public func step(
        _ actions: UnsafePointer<Int32>, into observations: UnsafeMutablePointer<Float>,
        finalObservations: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<StepResult>
    ) throws {
        for i in 0..<count {
            precondition(actions[i] >= 0 && Int(actions[i]) < actionCount, "\(id) action must be in 0..<\(actionCount), got \(actions[i])")
        }
        try host.step(actions, autoreset: true)
        deliverStep(into: observations, finalObservations: finalObservations, results: results)
    }

    /// Every copy's result and observations after an autoreset step.
    private func deliverStep(
        into observations: UnsafeMutablePointer<Float>, finalObservations: UnsafeMutablePointer<Float>,
        results: UnsafeMutablePointer<StepResult>
    ) {
        for i in 0..<count {
            let reply = host.replies[i]
            results[i] = result(i, reply)
            if reply.restarted {
                // The ended episode's last frame completes its stack; the new episode's first fills a fresh one.
                deliver(i, from: host.finalObservation(i), reset: false, into: finalObservations + i * width)
                deliver(i, from: host.observation(i), reset: true, into: observations + i * width)
            } else {
                deliver(i, from: host.observation(i), reset: false, into: observations + i * width)
            }
        }
    }

    /// Steps every copy with its continuous action in one request; as `step` otherwise.
    public func step(
        continuous actions: UnsafePointer<Float>, into observations: UnsafeMutablePointer<Float>,
        finalObservations: UnsafeMutablePointer<Float>, results: UnsafeMutablePointer<StepResult>
    ) throws {
        try host.step(continuous: actions, autoreset: true)
        deliverStep(into: observations, finalObservations: finalObservations, results: results)
    }

    /// Stops the host process, killing it if it does not quit.
    public func close() { host.close() }

    // MARK: one environment with explicit resets (the `Environment` adapters)

    /// Steps environment 0 without autoreset.
    func stepFirst(_ action: Int, into observation: UnsafeMutablePointer<Float>) throws -> StepResult {
        precondition(action >= 0 && action < actionCount, "\(id) action must be in 0..<\(actionCount), got \(action)")
        try withUnsafePointer(to: Int32(action)) { try host.step($0, autoreset: false) }
        deliver(0, from: host.observation(0), reset: false, into: observation)
        return result(0, host.replies[0])
    }

    /// Steps environment 0 with a continuous action, without autoreset.
    func stepFirst(continuous action: UnsafePointer<Float>, into observation: UnsafeMutablePointer<Float>) throws -> StepResult {
        try host.step(continuous: action, autoreset: false)
        deliver(0, from: host.observation(0), reset: false, into: observation)
        return result(0, host.replies[0])
    }

    /// Starts environment 0's next episode: a new game with `seed`, or with nil what autoreset does
    /// (after a lost life the game goes on; otherwise a new game continuing the random stream).
    func resetFirst(seed: UInt64?, into observation: UnsafeMutablePointer<Float>) throws {
        if let seed {
            try host.reset { _ in seed }
        } else {
            try host.restart()
        }
        pendingScores[0] = host.replies[0].pointsAfter
        deliver(0, from: host.observation(0), reset: true, into: observation)
    }

    /// Environment `index`'s colour picture: its rendering, or for picture observations the picture itself.
    func render(_ index: Int) -> RGBFrame? {
        let description = host.description
        if let shape = description.frame_shape, shape.count == 3, shape[2] == 3 {
            return (try? host.renderFrame(index)) != nil ? host.sharedFrame() : nil
        }
        let shape = description.observation_shape
        guard !pipelines.isEmpty, shape.count == 3, shape[2] == 3 else { return nil }
        return host.sharedFrame(at: index * description.observation_bytes, shape: shape)
    }

    // MARK: shared by both

    @inline(__always)
    private func result(_ i: Int, _ reply: GymnasiumHost.Reply) -> StepResult {
        let reward = clipRewards ? (reply.reward > 0 ? 1 : (reply.reward < 0 ? -1 : 0)) : reply.reward
        let score = reply.reward + pendingScores[i]
        pendingScores[i] = reply.pointsAfter
        return StepResult(
            reward: reward, terminated: reply.terminated, truncated: reply.truncated, score: score, gameOver: reply.gameOver)
    }

    /// Turns a slot of shared memory into observation row `row`; `reset` starts a new frame stack.
    @inline(__always)
    private func deliver(_ i: Int, from slot: UnsafeMutableRawPointer, reset: Bool, into row: UnsafeMutablePointer<Float>) {
        if pipelines.isEmpty {
            row.update(from: slot.assumingMemoryBound(to: Float.self), count: width)
        } else {
            pipelines[i].push(slot.assumingMemoryBound(to: UInt8.self), reset: reset)
            pipelines[i].write(into: UnsafeMutableBufferPointer(start: row, count: width))
        }
    }
}
