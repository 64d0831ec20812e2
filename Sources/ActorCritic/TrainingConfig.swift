import Environments
import NeuralNet

/// Every hyper-parameter of a training run. Defaults are the ones `a3c train` uses.
public struct TrainingConfig: Sendable, Codable, Hashable {
    /// Gymnasium id of the environment.
    public var environmentID = "CartPole-v1"
    /// Actor-learner threads.
    public var workers = TrainingConfig.defaultWorkers
    /// Budget of environment steps, all workers together; the learning rate reaches 0 there.
    public var totalSteps = 1_000_000
    /// Seeds the network, every worker's environment and sampling.
    public var seed: UInt64 = 1
    /// Initial learning rate (annealed linearly to 0 over `totalSteps`).
    public var learningRate: Float = 3e-3
    /// Steps per rollout before an update (the paper's t_max).
    public var tMax = 8
    /// Discount factor.
    public var gamma: Float = 0.99
    /// Entropy bonus weight β.
    public var entropyBeta: Float = 0.01
    /// Value-loss weight c_v in c_v (R - V)².
    public var valueCoefficient: Float = 0.25
    /// Global-norm gradient clipping threshold (0 turns clipping off).
    public var maxGradNorm: Float = 40
    /// GAE λ; nil uses plain n-step returns.
    public var gaeLambda: Float? = nil
    /// Shared optimizer.
    public var optimizer: OptimizerKind = .rmsprop
    /// RMSProp decay α (paper: 0.99).
    public var rmspropAlpha: Float = 0.99
    /// RMSProp ε, inside the square root (paper: 0.1).
    public var rmspropEpsilon: Float = 0.1
    /// Adam ε.
    public var adamEpsilon: Float = 1e-8
    /// Stop once the mean return of the last 100 episodes reaches this; nil uses the environment's
    /// reward threshold (475 for CartPole-v1), and no threshold means run the whole budget.
    public var targetReturn: Double? = nil
    /// Network family (auto: the paper's conv net for pictures, an MLP for vectors).
    public var network: NetworkArchitecture = .auto
    /// Hidden layer sizes of the MLP.
    public var hiddenSizes = [64, 64]
    /// Non-linearity of the MLP.
    public var activation: Activation = .tanh
    /// Picture observations: [height, width] after resizing (Atari: 84x84 as in the paper).
    public var frameSize = [84, 84]
    /// Frames stacked as channels.
    public var frameStack = 4
    /// Emulator frames per agent step (Atari; ViZDoom tics).
    public var frameSkip = 4
    /// Up to this many random no-ops after each Atari reset.
    public var noopMax = 30
    /// Atari sticky actions: 0 (default) or 0.25.
    public var stickyActions = 0.0
    /// Clip Atari rewards to [-1, 1] for learning.
    public var clipRewards = true
    /// A lost Atari life ends the training episode (not the game).
    public var episodicLife = true
    /// Press FIRE on reset in Atari games that need it.
    public var fireReset = true
    /// Rows and columns cut from pictures before resizing: [top, bottom, left, right].
    public var crop = [0, 0, 0, 0]
    public var envsPerWorker = 1
    public var algorithm: Algorithm = .a3c
    public var learningRateSchedule: LearningRateSchedule = .linear
    public var evalEvery: Int? = nil
    public var evalEpisodes = 10
    public var evalGreedy = false
    public var rewardScale: Float = 1

    public init() {}

    /// The defaults for an environment: these (CartPole-tuned) for vector observations; for Atari
    /// and ViZDoom ids, the picture set-up (see `pictureDefaults`).
    public static func defaults(for environmentID: String) -> TrainingConfig {
        var config = TrainingConfig()
        config.environmentID = environmentID
        if isPictureEnvironment(environmentID) { config.applyPictureDefaults() }
        return config
    }

    /// Ids whose observations are pictures: the paper's Atari set-up applies.
    public static func isPictureEnvironment(_ id: String) -> Bool {
        id.hasPrefix("ALE/") || id.hasPrefix("Vizdoom") || id.hasPrefix("gym:Vizdoom")
    }

    /// Settings for picture observations (Atari, ViZDoom): the A3C paper's network, 20-step
    /// rollouts and Adam with shared statistics at 1e-4 (as pytorch-a3c), entropy 0.01, gamma 0.99,
    /// gradient norm 40, a budget of 10M agent steps (40M frames) with the rate annealed to 0.
    /// Measured here on Pong with 2 workers: the paper's RMSProp (7e-4, epsilon 0.1) had not left
    /// -20 after 1M steps; this set-up reached a 100-game mean of -10 after 4M (benchmarks/).
    public mutating func applyPictureDefaults() {
        network = .paper
        optimizer = .adam
        learningRate = 1e-4
        tMax = 20
        totalSteps = 10_000_000
        valueCoefficient = 0.25
        maxGradNorm = 40
    }

    /// `self` with the values of `keys` (config-file key names) taken from `other`.
    public func merging(_ other: TrainingConfig, keys: Set<String>) -> TrainingConfig {
        var c = self
        for key in keys {
            guard let codingKey = CodingKeys(rawValue: key) else { continue }
            switch codingKey {
            case .environmentID: c.environmentID = other.environmentID
            case .workers: c.workers = other.workers
            case .totalSteps: c.totalSteps = other.totalSteps
            case .seed: c.seed = other.seed
            case .learningRate: c.learningRate = other.learningRate
            case .tMax: c.tMax = other.tMax
            case .gamma: c.gamma = other.gamma
            case .entropyBeta: c.entropyBeta = other.entropyBeta
            case .valueCoefficient: c.valueCoefficient = other.valueCoefficient
            case .maxGradNorm: c.maxGradNorm = other.maxGradNorm
            case .gaeLambda: c.gaeLambda = other.gaeLambda
            case .optimizer: c.optimizer = other.optimizer
            case .rmspropAlpha: c.rmspropAlpha = other.rmspropAlpha
            case .rmspropEpsilon: c.rmspropEpsilon = other.rmspropEpsilon
            case .adamEpsilon: c.adamEpsilon = other.adamEpsilon
            case .targetReturn: c.targetReturn = other.targetReturn
            case .network: c.network = other.network
            case .hiddenSizes: c.hiddenSizes = other.hiddenSizes
            case .activation: c.activation = other.activation
            case .frameSize: c.frameSize = other.frameSize
            case .frameStack: c.frameStack = other.frameStack
            case .frameSkip: c.frameSkip = other.frameSkip
            case .noopMax: c.noopMax = other.noopMax
            case .stickyActions: c.stickyActions = other.stickyActions
            case .clipRewards: c.clipRewards = other.clipRewards
            case .episodicLife: c.episodicLife = other.episodicLife
            case .fireReset: c.fireReset = other.fireReset
            case .crop: c.crop = other.crop
            }
        }
        return c
    }

    /// What the environment registry needs from this config.
    public var environmentOptions: EnvironmentOptions {
        var options = EnvironmentOptions()
        options.atari.frameSkip = frameSkip
        options.atari.noopMax = noopMax
        options.atari.frameSize = frameSize[0]
        options.atari.frameStack = frameStack
        options.atari.clipRewards = clipRewards
        options.atari.episodicLife = episodicLife
        options.atari.fireReset = fireReset
        options.atari.repeatActionProbability = stickyActions
        options.frameHeight = frameSize[0]
        options.frameWidth = frameSize.count > 1 ? frameSize[1] : frameSize[0]
        options.doomFrameSkip = frameSkip
        options.crop = FramePipeline.Crop(top: crop[0], bottom: crop[1], left: crop[2], right: crop[3])
        return options
    }

    /// Keys in config files and `config.json`: the long option names of `a3c train`.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case environmentID = "env"
        case workers
        case totalSteps = "steps"
        case seed
        case learningRate = "lr"
        case tMax = "t-max"
        case gamma
        case entropyBeta = "entropy-beta"
        case valueCoefficient = "value-coef"
        case maxGradNorm = "max-grad-norm"
        case gaeLambda = "gae-lambda"
        case optimizer
        case rmspropAlpha = "rmsprop-alpha"
        case rmspropEpsilon = "rmsprop-epsilon"
        case adamEpsilon = "adam-epsilon"
        case targetReturn = "target-return"
        case network
        case hiddenSizes = "hidden"
        case activation
        case frameSize = "frame-size"
        case frameStack = "frame-stack"
        case frameSkip = "frame-skip"
        case noopMax = "noop-max"
        case stickyActions = "sticky-actions"
        case clipRewards = "clip-rewards"
        case episodicLife = "episodic-life"
        case fireReset = "fire-reset"
        case crop
    }

    /// Missing keys keep their defaults; unknown keys are the caller's to reject (see `CodingKeys`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        environmentID = try c.decodeIfPresent(String.self, forKey: .environmentID) ?? d.environmentID
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? d.workers
        totalSteps = try c.decodeIfPresent(Int.self, forKey: .totalSteps) ?? d.totalSteps
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        tMax = try c.decodeIfPresent(Int.self, forKey: .tMax) ?? d.tMax
        gamma = try c.decodeIfPresent(Float.self, forKey: .gamma) ?? d.gamma
        entropyBeta = try c.decodeIfPresent(Float.self, forKey: .entropyBeta) ?? d.entropyBeta
        valueCoefficient = try c.decodeIfPresent(Float.self, forKey: .valueCoefficient) ?? d.valueCoefficient
        maxGradNorm = try c.decodeIfPresent(Float.self, forKey: .maxGradNorm) ?? d.maxGradNorm
        gaeLambda = try c.decodeIfPresent(Float.self, forKey: .gaeLambda)
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        rmspropAlpha = try c.decodeIfPresent(Float.self, forKey: .rmspropAlpha) ?? d.rmspropAlpha
        rmspropEpsilon = try c.decodeIfPresent(Float.self, forKey: .rmspropEpsilon) ?? d.rmspropEpsilon
        adamEpsilon = try c.decodeIfPresent(Float.self, forKey: .adamEpsilon) ?? d.adamEpsilon
        targetReturn = try c.decodeIfPresent(Double.self, forKey: .targetReturn)
        network = try c.decodeIfPresent(NetworkArchitecture.self, forKey: .network) ?? d.network
        hiddenSizes = try c.decodeIfPresent([Int].self, forKey: .hiddenSizes) ?? d.hiddenSizes
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? d.activation
        frameSize = try c.decodeIfPresent([Int].self, forKey: .frameSize) ?? d.frameSize
        frameStack = try c.decodeIfPresent(Int.self, forKey: .frameStack) ?? d.frameStack
        frameSkip = try c.decodeIfPresent(Int.self, forKey: .frameSkip) ?? d.frameSkip
        noopMax = try c.decodeIfPresent(Int.self, forKey: .noopMax) ?? d.noopMax
        stickyActions = try c.decodeIfPresent(Double.self, forKey: .stickyActions) ?? d.stickyActions
        clipRewards = try c.decodeIfPresent(Bool.self, forKey: .clipRewards) ?? d.clipRewards
        episodicLife = try c.decodeIfPresent(Bool.self, forKey: .episodicLife) ?? d.episodicLife
        fireReset = try c.decodeIfPresent(Bool.self, forKey: .fireReset) ?? d.fireReset
        crop = try c.decodeIfPresent([Int].self, forKey: .crop) ?? d.crop
    }

    /// One worker per core.
    public static var defaultWorkers: Int { max(1, ProcessInfoCores.count) }

    /// Checks every value; the message names the option and the allowed range.
    public func validate() throws(ConfigurationError) {
        func check(_ condition: Bool, _ message: String) throws(ConfigurationError) {
            if !condition { throw ConfigurationError(message) }
        }
        try check(!environmentID.isEmpty, "--env must name an environment")
        try check(workers >= 1 && workers <= 1024, "--workers must be between 1 and 1024, got \(workers)")
        try check(totalSteps >= 1, "--steps must be at least 1, got \(totalSteps)")
        try check(learningRate > 0 && learningRate.isFinite, "--lr must be positive, got \(learningRate)")
        try check(tMax >= 1 && tMax <= 10_000, "--t-max must be between 1 and 10000, got \(tMax)")
        try check(gamma > 0 && gamma <= 1, "--gamma must be in (0, 1], got \(gamma)")
        try check(entropyBeta >= 0 && entropyBeta.isFinite, "--entropy-beta must be non-negative, got \(entropyBeta)")
        try check(
            valueCoefficient >= 0 && valueCoefficient.isFinite,
            "--value-coef must be non-negative, got \(valueCoefficient)")
        try check(maxGradNorm >= 0 && maxGradNorm.isFinite, "--max-grad-norm must be non-negative, got \(maxGradNorm)")
        if let gaeLambda {
            try check(gaeLambda >= 0 && gaeLambda <= 1, "--gae-lambda must be in [0, 1], got \(gaeLambda)")
        }
        try check(rmspropAlpha >= 0 && rmspropAlpha < 1, "--rmsprop-alpha must be in [0, 1), got \(rmspropAlpha)")
        try check(rmspropEpsilon > 0, "--rmsprop-epsilon must be positive, got \(rmspropEpsilon)")
        try check(adamEpsilon > 0, "--adam-epsilon must be positive, got \(adamEpsilon)")
        if let targetReturn { try check(targetReturn.isFinite, "--target-return must be a finite number") }
        try check(
            !hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 && $0 <= 65536 },
            "--hidden must list positive layer sizes, got \(hiddenSizes)")
        try check(
            (frameSize.count == 1 || frameSize.count == 2) && frameSize.allSatisfy { $0 >= 8 && $0 <= 1024 },
            "--frame-size must be one side or HEIGHTxWIDTH, each 8 to 1024, got \(frameSize)")
        try check(frameStack >= 1 && frameStack <= 64, "--frame-stack must be between 1 and 64, got \(frameStack)")
        try check(frameSkip >= 1 && frameSkip <= 64, "--frame-skip must be between 1 and 64, got \(frameSkip)")
        try check(noopMax >= 0 && noopMax <= 1000, "--noop-max must be between 0 and 1000, got \(noopMax)")
        try check(stickyActions >= 0 && stickyActions < 1, "--sticky-actions must be in [0, 1), got \(stickyActions)")
        try check(crop.count == 4 && crop.allSatisfy { $0 >= 0 }, "--crop must be four non-negative numbers: top,bottom,left,right")
    }
}

/// A hyper-parameter outside its range.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum Algorithm: String, Sendable, CaseIterable, Codable { case a3c, a2c }
public enum LearningRateSchedule: String, Sendable, CaseIterable, Codable { case constant, linear }
