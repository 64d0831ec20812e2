import Environments
import NeuralNet

/// Every hyper-parameter of a training run. Defaults are the ones `a3c train` uses.
public struct TrainingConfig: Sendable, Codable, Hashable {
    /// Gymnasium id of the environment.
    public var environmentID = "CartPole-v1"
    /// Actor-learner threads.
    public var workers = TrainingConfig.defaultWorkers
    /// Budget of environment steps, all workers together (a linear learning-rate schedule reaches 0 there).
    public var totalSteps = 1_000_000
    /// Seeds the network, every worker's environment and sampling.
    public var seed: UInt64 = 1
    /// Initial learning rate (annealed linearly to 0 over `totalSteps` under the linear schedule).
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
    /// Non-linearity of the picture networks; nil: each network's own (ReLU, ELU for universe).
    public var pictureActivation: Activation? = nil
    /// MLP: one trunk for both heads, or a policy tower and a value tower of `hiddenSizes` each.
    public var trunk: Trunk = .shared
    /// Continuous actions: σ of the Gaussian policy from the state (softplus of a head output, the
    /// paper's form) or a learned log σ the same for every state.
    public var std: Gaussian.Form = .state
    /// Continuous actions: σ of the Gaussian policy at the start; nil: 1 for a learned log σ,
    /// softplus(0) ≈ 0.69 for σ from the state.
    public var initialStd: Float? = nil
    /// Cells of the LSTM of recurrent networks (`mlp-lstm`).
    public var lstmSize = 64
    /// `mlp-lstm`: the LSTM reads the observations and the hidden layers follow it (as SB3's
    /// RecurrentPPO), instead of reading the last hidden layer.
    public var lstmFirst = false
    /// Picture observations: [height, width] after resizing (Atari: 84x84 as in the paper).
    public var frameSize = [84, 84]
    /// Frames stacked as channels.
    public var frameStack = 4
    /// Emulator frames per agent step (Atari; ViZDoom tics).
    public var frameSkip = 4
    /// Atari: 1 to this many random single-frame no-ops when a game starts.
    public var noopMax = 30
    /// Atari sticky actions: 0 (default) or 0.25.
    public var stickyActions = 0.0
    /// Atari: the program that steps the games (the same games either way; native is faster).
    public var atariHost = AtariHost.auto
    /// Clip rewards of Atari games and ViZDoom scenarios to [-1, 1] for learning.
    public var clipRewards = true
    /// Atari and ViZDoom frames less their most common grey level: a uniform background reads 0.
    public var subtractBackground = false
    /// A lost Atari life ends the training episode (not the game).
    public var episodicLife = true
    /// Press FIRE on reset in Atari games that need it.
    public var fireReset = true
    /// Rows and columns cut from pictures before resizing: [top, bottom, left, right].
    public var crop = [0, 0, 0, 0]
    /// How workers update the shared parameters.
    public var algorithm: Algorithm = .a3c
    /// PPO: passes over each rollout.
    public var epochs = 4
    /// PPO: minibatches each pass splits the rollout's rows into (every worker's share together).
    public var minibatches = 4
    /// PPO: the probability ratio is clipped to [1 - ε, 1 + ε] (and, with `clipValueLoss`, the
    /// value's move from the value that acted to ±ε).
    public var clipRange: Float = 0.1
    /// PPO: how ε moves over the step budget (linear: to 0).
    public var clipRangeSchedule: LearningRateSchedule = .constant
    /// PPO: the value loss is the larger of the plain and the clipped squared error.
    public var clipValueLoss = true
    /// Advantages are normalised to mean 0 and deviation 1: for PPO (whose defaults turn it on) over
    /// each worker's part of a minibatch, for A3C and A2C over each worker's rollout.
    public var normalizeAdvantages = false
    /// PPO: a rollout's passes end early once a pass's last update moved the policy further than
    /// this from the one that acted (approximate KL, every worker's mean); nil: all `epochs` run.
    public var targetKL: Float? = nil
    /// Environments each worker steps together; one batched forward pass per step over them.
    public var envsPerWorker = 1
    /// How the learning rate moves over the step budget.
    public var learningRateSchedule: LearningRateSchedule = .linear
    /// Every this many steps, play `evalEpisodes` whole games on separate environments with the
    /// current parameters; nil: never.
    public var evalEvery: Int? = nil
    /// Games per periodic evaluation.
    public var evalEpisodes = 10
    /// Periodic evaluations take the most likely action instead of sampling.
    public var evalGreedy = false
    /// Rewards are multiplied by this for learning (after clipping, if on); scores stay real.
    public var rewardScale: Float = 1
    /// Observations are normalised by running statistics shared by all workers (saved in
    /// checkpoints and used by eval and record): for vector observations on very different scales.
    public var normalizeObservations = false
    /// Rewards are divided by the running standard deviation of each environment's discounted
    /// return (shared by all workers, saved in checkpoints) and clipped to ±10 for learning, as
    /// Stable-Baselines3's VecNormalize does for MuJoCo; scores stay real.
    public var normalizeRewards = false
    /// Times each worker may replace an environment host that died or hung (the rollout in flight
    /// is dropped, its games start afresh); one more failure stops the run.
    public var maxHostRestarts = 3
    /// What the network's matrix products take as inputs.
    public var precision = PrecisionSetting.auto

    /// The precision the workers use: `precision`, with auto resolved on this CPU. Auto is bf16 for
    /// PPO with the Nature network where the CPU has bf16 arithmetic: its 128-row minibatches through
    /// convolutions of 32 and 64 filters run faster in bf16. Elsewhere fp32: A3C's products of 8
    /// and 40 rows, and the paper network's 16-filter first layer, gain little or lose.
    public var resolvedPrecision: Precision {
        switch precision {
        case .fp32: .fp32
        case .bf16: .bf16
        case .auto: algorithm == .ppo && network == .nature && Precision.bf16Available ? .bf16 : .fp32
        }
    }

    /// The defaults, tuned for CartPole (`defaults(for:)` gives the picture set-up for Atari and ViZDoom).
    public init() {}

    /// The defaults for an environment: these (CartPole-tuned) for vector observations; for Atari
    /// and ViZDoom ids, the picture set-up (see `applyPictureDefaults`); for continuous actions,
    /// `applyContinuousDefaults`.
    public static func defaults(for environmentID: String) -> TrainingConfig { defaults(for: environmentID, network: nil) }

    /// Ids whose actions are continuous: native ones that say so, and the Gymnasium families known
    /// to be (`*Continuous*`, Box2D's BipedalWalker, the MuJoCo tasks). Any other bridged id with a
    /// Box action space trains too, from the discrete defaults.
    public static func isContinuousEnvironment(_ id: String) -> Bool { EnvironmentFamily.of(id).hasContinuousActions(id) }

    /// Gymnasium's MuJoCo tasks (HalfCheetah, Hopper, Walker2d, Ant, Humanoid, ...).
    public static func isMuJoCoEnvironment(_ id: String) -> Bool { EnvironmentFamily.of(id) == .mujoco }

    /// The family `environmentID` belongs to: what it is, and which host makes it.
    public var environmentFamily: EnvironmentFamily { EnvironmentFamily.of(environmentID) }

    /// Settings for continuous actions (a Gaussian policy with σ from the state): RMSProp as for
    /// CartPole but at 1e-3, rewards scaled by 0.1 for learning (Pendulum's costs reach
    /// -16 a step). Measured on Pendulum-v1 (Intel Xeon, 2 cores): seeds 1-3 reach a 100-episode
    /// mean of -200 after 0.33M-0.88M steps, 1-2 s; with CartPole's rate and unscaled rewards, not in 10M.
    public mutating func applyContinuousDefaults() {
        learningRate = 1e-3
        rewardScale = 0.1
        if environmentFamily != .native { applyBridgedContinuousDefaults() }
    }

    /// Settings for the bridged continuous-control tasks (Box2D, MuJoCo), as PPO and A2C are run on
    /// MuJoCo: observations normalised, a learned state-independent log σ, no entropy bonus (it
    /// widened σ past the action bounds: HalfCheetah's σ grew from 1 to 1.4 in 1.5M steps with
    /// β 0.01), GAE 0.95 over 16-step rollouts of 8 environments per worker, Adam 3e-4 falling
    /// linearly over a 20M-step budget. Measured on HalfCheetah-v5 (AMD EPYC Zen 3, 2 cores, seed 1,
    /// 1.5M steps): 100-episode mean 959 against 759 with β 0.01 and 190 with the classic-control
    /// settings; an MLP of 256-256 learned faster at first and collapsed at 0.65M steps.
    public mutating func applyBridgedContinuousDefaults() {
        envsPerWorker = 8
        normalizeObservations = true
        std = .parameter
        entropyBeta = 0
        gaeLambda = 0.95
        tMax = 16
        optimizer = .adam
        learningRate = 3e-4
        totalSteps = 20_000_000
        if Self.isMuJoCoEnvironment(environmentID) { applyMuJoCoDefaults() }
    }

    /// Settings for the MuJoCo tasks, after Stable-Baselines3's A2C as its zoo runs it on MuJoCo
    /// (RMSProp 7e-4 at a constant rate, 5-step rollouts, n-step returns, gradient norm 0.5, value
    /// weight 0.5, a policy and a value tower, unscaled rewards), with 8 environments per worker and
    /// a 10M-step budget. Measured on HalfCheetah-v5 (AMD EPYC Zen 5, 2 cores, target 2,000): seeds
    /// 1-4 reach it after 9.9M, -, 4.4M and 0.9M steps (233, -, 119 and 44 s; seed 2 ends at 640);
    /// the Box2D set-up above stood at 1,670 after 9M. With the rate falling linearly over 10M
    /// steps, seed 1 ends at 1,563; with one trunk, 1,715 on average at 2.5M against 2,155; with σ
    /// starting at 0.5, one seed of four above 1,300 at 2.5M.
    public mutating func applyMuJoCoDefaults() {
        trunk = .separate
        tMax = 5
        gaeLambda = nil
        optimizer = .rmsprop
        learningRate = 7e-4
        // Inside the square root: about PyTorch's 1e-5 outside it, as Stable-Baselines3 sets it.
        rmspropEpsilon = 1e-10
        maxGradNorm = 0.5
        valueCoefficient = 0.5
        rewardScale = 1
        learningRateSchedule = .constant
        totalSteps = 10_000_000
    }

    /// The defaults for an environment, a network and an algorithm: the recurrent picture networks
    /// bring the set-up of the implementations they come from (see `applyRecurrentPictureDefaults`),
    /// and PPO its own (`applyPPODefaults`).
    public static func defaults(
        for environmentID: String, network: NetworkArchitecture?, algorithm: Algorithm? = nil
    ) -> TrainingConfig {
        var config = TrainingConfig()
        config.environmentID = environmentID
        if isPictureEnvironment(environmentID) {
            config.applyPictureDefaults(network: network ?? defaultPictureNetwork(for: environmentID, algorithm: algorithm))
        } else if let network {
            config.network = network
        }
        if isContinuousEnvironment(environmentID) { config.applyContinuousDefaults() }
        if algorithm == .ppo {
            config.applyPPODefaults()
        } else if let algorithm {
            config.algorithm = algorithm
        }
        return config
    }

    /// PPO's set-up, after CleanRL's ppo_atari (pictures), ppo (vector observations) and
    /// ppo_continuous_action (continuous actions): GAE 0.95, 4 epochs of 4 minibatches over
    /// 128-step rollouts, Adam (ε 1e-5) at 2.5e-4 falling linearly to 0, entropy 0.01, gradient
    /// norm 0.5 on the loss averaged over a minibatch's rows, value weight 0.25 (theirs, 0.5 on half
    /// the squared error), values clipped; for vector observations, a policy and a value tower
    /// (`Trunk.separate`); clip 0.1 and 4 environments per worker for pictures,
    /// clip 0.2 and 2 for vectors (8 and 4 environments on two workers, as theirs); continuous
    /// actions: 1,024 steps of 1 environment per worker, 10 epochs of 32 minibatches, 3e-4, no
    /// entropy bonus, rewards normalised; a recurrent network: 4 environments per worker in 4 minibatches (ppo_atari_lstm's
    /// 2 environments a minibatch, on two workers).
    public mutating func applyPPODefaults() {
        algorithm = .ppo
        gaeLambda = 0.95
        epochs = 4
        minibatches = 4
        tMax = 128
        optimizer = .adam
        adamEpsilon = 1e-5
        learningRate = 2.5e-4
        learningRateSchedule = .linear
        maxGradNorm = 0.5
        valueCoefficient = 0.25
        entropyBeta = 0.01
        clipValueLoss = true
        normalizeAdvantages = true
        if Self.isPictureEnvironment(environmentID) {
            envsPerWorker = 4
            clipRange = 0.1
        } else if Self.isContinuousEnvironment(environmentID) {
            envsPerWorker = 1
            tMax = 1024
            epochs = 10
            minibatches = 32
            learningRate = 3e-4
            clipRange = 0.2
            entropyBeta = 0
            // Rewards scaled by their returns' deviation, as CleanRL and the RL Zoo do: the value
            // clip of 0.2 is in those units.
            normalizeRewards = true
            rewardScale = 1
        } else {
            envsPerWorker = 2
            clipRange = 0.2
        }
        if network.isRecurrent {
            // A recurrent network learns from whole environments: one per worker and minibatch.
            envsPerWorker = 4
            minibatches = 4
        } else if !Self.isPictureEnvironment(environmentID) {
            // Theirs are two networks, a policy and a value one; one trunk shared by both stalled on CartPole.
            trunk = .separate
        }
    }

    /// universe-starter-agent's and pytorch-a3c's set-up for their LSTM networks: one environment per
    /// worker, 20-step rollouts, Adam at a constant 1e-4, an LSTM of 256 cells; for `universe`,
    /// single 42x42 frames (the LSTM is the memory) and, for Atari, the screen without the 34 rows
    /// above and 16 below the playing field, as universe-starter-agent crops it.
    public mutating func applyRecurrentPictureDefaults() {
        envsPerWorker = 1
        tMax = 20
        optimizer = .adam
        learningRate = 1e-4
        learningRateSchedule = .constant
        // universe-starter-agent's clip, on a loss summed over its 20 steps as ours is.
        maxGradNorm = 40
        lstmSize = 256
        // Their frames as they are: universe learns Pong without it.
        subtractBackground = false
        if network == .universe {
            frameSize = [42, 42]
            frameStack = 1
            if environmentFamily == .atari { crop = [34, 16, 0, 0] }
        }
    }

    /// Ids whose observations are pictures: the paper's Atari set-up applies.
    public static func isPictureEnvironment(_ id: String) -> Bool { EnvironmentFamily.of(id).observations == .pictures }

    /// The picture set-up of `environmentID`'s default network.
    public mutating func applyPictureDefaults() {
        applyPictureDefaults(network: Self.defaultPictureNetwork(for: environmentID, algorithm: algorithm))
    }

    /// The picture network of an id's defaults: for PPO on Atari, DQN's Nature network, as CleanRL's
    /// and SB3's PPO use it (on Breakout it learned 2-3x as fast per agent step as the paper
    /// network, at about half the agent steps per second: benchmarks/RESULTS.md); otherwise the
    /// A3C paper's.
    public static func defaultPictureNetwork(for environmentID: String, algorithm: Algorithm? = nil) -> NetworkArchitecture {
        algorithm == .ppo && EnvironmentFamily.of(environmentID) == .atari ? .nature : .paper
    }

    /// The picture set-up below with `network`; the recurrent networks bring theirs on top of it
    /// (`applyRecurrentPictureDefaults`).
    public mutating func applyPictureDefaults(network: NetworkArchitecture) {
        applyPaperPictureDefaults()
        self.network = network
        if network == .universe || network == .paperLSTM { applyRecurrentPictureDefaults() }
    }

    /// Settings for picture observations (Atari, ViZDoom): the A3C paper's network; 8 environments
    /// per worker acting through one batched forward pass and one host process, 5-step rollouts
    /// (40 rows per update, as A2C and PAAC batch them), Adam with shared statistics at a constant
    /// 7e-4, entropy 0.01, gamma 0.99, gradient norm 40, a budget of 10M agent steps (40M frames).
    /// Measured here (Intel Xeon, 2 cores, seed 1): Breakout's 30-game mean was 28.5 after 600k
    /// steps against 12.8 with the earlier set-up (1 environment per worker, 20-step rollouts, Adam
    /// 1e-4 annealed), at 1.3x its speed; the paper's RMSProp (7e-4, epsilon 0.1 inside the root)
    /// had not left -20 on Pong after 1M steps: with gradients averaged over rows, that epsilon
    /// outweighs the squared gradients and the step shrinks to plain, slow SGD.
    /// Atari frames have their background subtracted: with Pong's grey court left in, Adam's first
    /// updates silence most fully connected units and Pong stays at uniform play; with the court at
    /// 0 it learns (benchmarks/RESULTS.md, the A3C Pong stall). Breakout's black background leaves
    /// its frames the same bit for bit.
    /// ViZDoom clips the gradient at 2.5 (the references' 0.5 on a mean loss, in this loss's
    /// units) and anneals the rate to 0 over the budget: at 40, defend_the_center's rare large
    /// gradients threw its policy off (a collapse to one action in a probe with wider frames) and
    /// its 100-game mean stood near 7 kills from 1M to 5M steps; with both, two runs of three reached
    /// 10, at 2.2M and 2.4M steps, and the third stood near 6 (benchmarks/RESULTS.md, defend_the_center).
    private mutating func applyPaperPictureDefaults() {
        network = .paper
        optimizer = .adam
        learningRate = 7e-4
        learningRateSchedule = .constant
        envsPerWorker = 8
        tMax = 5
        totalSteps = 10_000_000
        valueCoefficient = 0.25
        maxGradNorm = 40
        subtractBackground = environmentFamily == .atari
        if environmentFamily == .vizdoom {
            maxGradNorm = 2.5
            learningRateSchedule = .linear
        }
    }

    /// `self` with the values of `keys` (config-file key names) taken from `other`.
    public func merging(_ other: TrainingConfig, keys: Set<String>) -> TrainingConfig {
        var c = self
        for setting in Self.settings where keys.contains(setting.key) { setting.copy(from: other, to: &c) }
        return c
    }

    /// What the environment registry needs from this config.
    public var environmentOptions: EnvironmentOptions {
        var options = EnvironmentOptions()
        options.atari.frameSkip = frameSkip
        options.atari.noopMax = noopMax
        options.atari.frameSize = frameSize[0]
        options.atari.frameStack = frameStack
        options.atari.crop = FramePipeline.Crop(top: crop[0], bottom: crop[1], left: crop[2], right: crop[3])
        options.atari.clipRewards = clipRewards
        options.atari.subtractBackground = subtractBackground
        options.atari.episodicLife = episodicLife
        options.atari.fireReset = fireReset
        options.atari.repeatActionProbability = stickyActions
        options.atari.host = atariHost
        options.frameHeight = frameSize[0]
        options.frameWidth = frameSize.count > 1 ? frameSize[1] : frameSize[0]
        options.doomFrameSkip = frameSkip
        options.crop = FramePipeline.Crop(top: crop[0], bottom: crop[1], left: crop[2], right: crop[3])
        return options
    }

    /// The shared optimizer this config names, with its decay and epsilon, for `parameterCount`
    /// parameters at their initial state.
    public func makeOptimizer(parameterCount: Int) -> any SharedOptimizer {
        optimizer.make(
            parameterCount: parameterCount, rmspropAlpha: rmspropAlpha,
            epsilon: optimizer.isRMSProp ? rmspropEpsilon : adamEpsilon)
    }

    /// Environments whose rollouts make one update: every worker's for A2C, one worker's for A3C.
    public var environmentsPerUpdate: Int { algorithm.sharing == .synchronous ? workers * envsPerWorker : envsPerWorker }

    /// One worker per core.
    public static var defaultWorkers: Int { max(1, ProcessInfoCores.count) }
}

// Codable through the settings table: keys in config files and `config.json` are the long option
// names of `a3c train`.
extension TrainingConfig {
    /// Missing keys keep their defaults; unknown keys are the caller's to reject (see `settingKeys`).
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: ConfigKey.self)
        for setting in Self.settings { try setting.decode(from: container, into: &self) }
    }

    /// Writes every setting under its long option name, through the settings table.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ConfigKey.self)
        for setting in Self.settings { try setting.encode(self, to: &container) }
    }

    /// Keys config files may use, in table order.
    public static var settingKeys: [String] { settings.map(\.key) }

    /// The setting stored at `keyPath`.
    public static func setting(_ keyPath: AnyKeyPath) -> AnyConfigSetting {
        guard let setting = settings.first(where: { $0.keyPath == keyPath }) else {
            preconditionFailure("no row in TrainingConfig.settings for \(keyPath)")
        }
        return setting
    }

    /// Checks every value; the message names the option and the allowed range.
    public func validate() throws(ConfigurationError) {
        for setting in Self.settings {
            if let problem = setting.problem(in: self) { throw ConfigurationError(problem) }
        }
        try validateCombinations()
    }

    /// Rules that tie settings together (each setting's own range is in its table row).
    private func validateCombinations() throws(ConfigurationError) {
        let environments = environmentsPerUpdate
        let rollout = tMax * environments
        if let evalEvery, evalEvery < rollout {
            let shape = algorithm.sharing == .synchronous ? "t-max x workers x envs-per-worker" : "t-max x envs-per-worker"
            throw ConfigurationError("--eval-every must be at least one rollout (\(shape) = \(rollout) steps), got \(evalEvery)")
        }
        try validateEnvironmentFit()
        if precision == .bf16 && !Precision.bf16Available {
            throw ConfigurationError("--precision bf16 needs a CPU with AVX512-BF16 or AMX; this one has neither (use fp32)")
        }
        let ppoOnly: [AnyKeyPath] = [
            \TrainingConfig.epochs, \TrainingConfig.minibatches, \TrainingConfig.clipRange, \TrainingConfig.clipRangeSchedule,
            \TrainingConfig.clipValueLoss, \TrainingConfig.targetKL,
        ]
        if algorithm != .ppo, case let given = changedFlags(ppoOnly), !given.isEmpty {
            throw ConfigurationError(
                "\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") to --algo ppo, not --algo \(algorithm.rawValue)")
        }
        if lstmFirst && network != .mlpLSTM {
            throw ConfigurationError("--lstm-first applies to --network mlp-lstm, not --network \(network.rawValue)")
        }
        switch algorithm {
        case .a3c: break
        case .ppo:
            if network.isRecurrent && envsPerWorker % minibatches != 0 {
                throw ConfigurationError(
                    "--minibatches \(minibatches): a recurrent network's minibatches are whole environments, and "
                        + "--envs-per-worker \(envsPerWorker) is not a multiple of it")
            }
            if tMax * envsPerWorker < minibatches {
                throw ConfigurationError(
                    "--minibatches \(minibatches) is more than a worker's rollout of t-max x envs-per-worker = "
                        + "\(tMax * envsPerWorker) rows")
            }
        case .a2c:
            if environments == 1 {
                throw ConfigurationError(
                    "--algo a2c batches the environments of all workers, but --workers 1 --envs-per-worker 1 is one "
                        + "environment (A3C with one worker): use --algo a3c, or more workers or environments")
            }
        }
    }
}

extension TrainingConfig {
    /// Options that the chosen environment would silently ignore are refused: picture options for
    /// native vector environments and the known continuous-control families (Box2D, MuJoCo),
    /// Atari's own options for ViZDoom, a non-square size for Atari, a crop that leaves nothing of
    /// an Atari screen, observation normalisation for pictures. (Another bridged id may have
    /// pictures or not; it is only known once it runs.)
    fileprivate func validateEnvironmentFit() throws(ConfigurationError) {
        let atariOnly: [AnyKeyPath] = [
            \TrainingConfig.noopMax, \TrainingConfig.stickyActions, \TrainingConfig.episodicLife, \TrainingConfig.fireReset,
            \TrainingConfig.atariHost,
        ]
        let pictures: [AnyKeyPath] = [
            \TrainingConfig.frameSize, \TrainingConfig.frameStack, \TrainingConfig.frameSkip, \TrainingConfig.crop, \TrainingConfig.subtractBackground,
            \TrainingConfig.pictureActivation,
        ]
        let id = environmentID, family = environmentFamily
        if normalizeObservations && family.observations == .pictures {
            throw ConfigurationError("--normalize-observations is for vector observations; \(id) has pictures (already scaled to [0, 1])")
        }
        if family == .atari {
            // Atari screens are 210x160.
            if crop[0] + crop[1] >= 210 || crop[2] + crop[3] >= 160 {
                throw ConfigurationError(
                    "--crop \(crop.map(String.init).joined(separator: ",")) leaves nothing of \(id)'s 210x160 screen")
            }
            if frameSize.count == 2 && frameSize[0] != frameSize[1] {
                throw ConfigurationError(
                    "--frame-size \(frameSize[0])x\(frameSize[1]) does not apply to \(id): Atari frames are square (84, 42, ...)")
            }
        } else if family == .vizdoom {
            let given = changedFlags(atariOnly)
            if !given.isEmpty {
                throw ConfigurationError(
                    "\(given.joined(separator: ", ")) \(given.count == 1 ? "is" : "are") Atari's; \(id) is a ViZDoom scenario")
            }
        } else if family == .native || family.hasContinuousActions(id) {
            let given = changedFlags(pictures + atariOnly)
            if !given.isEmpty {
                throw ConfigurationError(
                    "\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") to pictures (Atari, ViZDoom); "
                        + "\(id) has vector observations")
            }
        }
    }
}

extension TrainingConfig {
    /// The flags among `keyPaths` whose values differ from the defaults.
    fileprivate func changedFlags(_ keyPaths: [AnyKeyPath]) -> [String] {
        let plain = TrainingConfig()
        return keyPaths.map(Self.setting).filter { $0.argumentDescription(in: self) != $0.argumentDescription(in: plain) }
            .map { "--" + $0.key }
    }

    /// Refuses an environment whose actions disagree with themselves (a box whose bounds differ in
    /// length, or whose dimensions differ from `actionCount`: the policy would send actions of the
    /// wrong dimension), and options for continuous actions (`--std`) when the actions are discrete,
    /// which would be ignored. Checked once the environment is made: a bridged id's actions are
    /// known only then.
    public func checkFits(actionSpace: ActionSpace, actionCount: Int) throws(ConfigurationError) {
        if case .box(let low, let high) = actionSpace {
            guard low.count == high.count, low.count == actionCount, actionCount >= 1 else {
                throw ConfigurationError(
                    "\(environmentID)'s actions do not fit together: a box of \(low.count) low and \(high.count) high bounds, "
                        + "and an action count of \(actionCount)")
            }
            if let j = low.indices.first(where: { !(low[$0] <= high[$0]) }) {
                throw ConfigurationError("\(environmentID)'s action dimension \(j) has no values between its bounds \(low[j]) and \(high[j])")
            }
            return
        }
        for keyPath in [\TrainingConfig.std, \TrainingConfig.initialStd] as [AnyKeyPath] {
            guard let flag = changedFlags([keyPath]).first else { continue }
            throw ConfigurationError(
                "\(flag) \(Self.setting(keyPath).argumentDescription(in: self)) applies to continuous actions; "
                    + "\(environmentID) has \(actionSpace.size) discrete actions")
        }
    }

    /// What fixes the network's parameters and what they mean: a resumed run cannot change it.
    static var modelDefining: [PartialKeyPath<TrainingConfig>] {
        [
            \.environmentID, \.network, \.hiddenSizes, \.trunk, \.lstmSize, \.lstmFirst, \.activation, \.pictureActivation, \.std,
            \.frameSize, \.frameStack, \.crop, \.subtractBackground,
        ]
    }

    /// Refuses a change, from the config a run was trained with, of anything that fixes its network
    /// or its observations (`runName` names the run in the message).
    public func checkResumable(from saved: TrainingConfig, runName: String) throws(ConfigurationError) {
        for keyPath in Self.modelDefining {
            let setting = Self.setting(keyPath)
            let given = setting.argumentDescription(in: self), trained = setting.argumentDescription(in: saved)
            if given != trained {
                throw ConfigurationError(
                    "--\(setting.key) \(given): \(runName) was trained with \(trained), and a resumed run keeps its "
                        + "network and observations (start a new run to change them)")
            }
        }
    }
}

/// A hyper-parameter outside its range.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The message, naming the option and what is wrong with its value.
    public let description: String
    /// An error with the one-line message `description`.
    public init(_ description: String) { self.description = description }
}
