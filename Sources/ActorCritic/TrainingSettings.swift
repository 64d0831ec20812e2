import NeuralNet

/// An update rule with a way of sharing its updates (`updateRule`, `sharing`).
public enum Algorithm: String, Sendable, CaseIterable, Codable {
    /// Asynchronous: each worker applies Hogwild updates to the shared parameters after each of its rollouts.
    case a3c
    /// Synchronous: all environments of all workers step in lock-step, and one update per rollout
    /// is made over the whole batch.
    case a2c
    /// Proximal policy optimisation: all workers in lock-step, `epochs` passes of `minibatches`
    /// synchronous updates over each rollout, the clipped surrogate objective.
    case ppo
}

/// What the network's matrix products take as inputs (see `Precision`).
public enum PrecisionSetting: String, Sendable, CaseIterable, Codable {
    /// bf16 where it pays, fp32 elsewhere (`TrainingConfig.resolvedPrecision`).
    case auto
    case fp32
    /// bf16 inputs with fp32 accumulation; needs AVX512-BF16 or AMX.
    case bf16
}

/// How the learning rate moves over the step budget.
public enum LearningRateSchedule: String, Sendable, CaseIterable, Codable {
    /// Kept at its initial value.
    case constant
    /// Annealed linearly to 0 over the step budget.
    case linear
}

extension TrainingConfig {
    /// Every hyper-parameter, declared once: key (config files, `config.json`, the long option of
    /// `a3c train`), help, and allowed values. Codable, `merging`, `validate` and the command line
    /// all read this table, in this order.
    ///
    /// Adding a hyper-parameter: its property on `TrainingConfig` (doc and default), its row here,
    /// and its `@Option` line in one of the option groups of `a3c train` (Sources/a3c/TrainingOptions.swift).
    public static let settings: [AnyConfigSetting] = [
        // Environment.
        .init(ConfigSetting(
            \.environmentID, "env", "Environment id (see `a3c envs`).",
            check: ConfigCheck("must name an environment", showsValue: false) { !$0.isEmpty })),
        // Algorithm and its scale.
        .init(ConfigSetting(
            \.workers, "workers", "Actor-learner threads.",
            defaultHelp: "one per core, \(TrainingConfig.defaultWorkers) here", check: .between(1, 1024))),
        .init(ConfigSetting(
            \.totalSteps, "steps", "Budget of environment steps, all workers together.",
            check: ConfigCheck("must be at least 1") { $0 >= 1 })),
        .init(ConfigSetting(
            \.seed, "seed", "Seed for the network, the environments and sampling.",
            defaultHelp: "drawn at random and reported")),
        .init(ConfigSetting(
            \.learningRate, "lr", "Initial learning rate (see --lr-schedule).", check: .positive)),
        .init(ConfigSetting(\.tMax, "t-max", "Steps per rollout before each update.", check: .between(1, 10_000))),
        .init(ConfigSetting(
            \.gamma, "gamma", "Discount factor.", check: ConfigCheck("must be in (0, 1]") { $0 > 0 && $0 <= 1 })),
        .init(ConfigSetting(\.entropyBeta, "entropy-beta", "Weight of the entropy bonus.", check: .nonNegative)),
        .init(ConfigSetting(
            \.valueCoefficient, "value-coef", "Weight c_v of the value loss c_v (R - V)^2.", check: .nonNegative)),
        .init(ConfigSetting(
            \.maxGradNorm, "max-grad-norm",
            "Clip each update's gradient to this global norm, 0 for no clipping. The loss is summed over a rollout's "
                + "t-max steps and averaged over its environments: a reference's norm on a loss averaged over every row "
                + "(openai/baselines, SB3) is that norm x t-max here.",
            check: .nonNegative)),
        .init(ConfigSetting(
            \.gaeLambda, "gae-lambda", "Use GAE with this lambda instead of n-step returns.",
            ifSet: ConfigCheck("must be in [0, 1]") { $0 >= 0 && $0 <= 1 })),
        .init(ConfigSetting(
            \.optimizer, "optimizer",
            "Shared optimizer: rmsprop (the paper's: square average from 0, epsilon inside the root), rmsprop-tf "
                + "(TensorFlow's, as openai/baselines and SB3's RMSpropTFLike: from 1, inside), rmsprop-torch (PyTorch's "
                + "and Keras's: from 0, epsilon added to the root) or adam.")),
        .init(ConfigSetting(
            \.rmspropAlpha, "rmsprop-alpha", "RMSProp decay.", check: ConfigCheck("must be in [0, 1)") { $0 >= 0 && $0 < 1 })),
        .init(ConfigSetting(
            \.rmspropEpsilon, "rmsprop-epsilon",
            "RMSProp epsilon: inside the square root, or added to it (rmsprop-torch). The loss is summed over a rollout's "
                + "t-max steps (see --max-grad-norm): a reference's epsilon e on a loss averaged over steps is e x t-max^2 "
                + "inside the root, e x t-max outside.",
            check: ConfigCheck("must be positive") { $0 > 0 })),
        .init(ConfigSetting(\.adamEpsilon, "adam-epsilon", "Adam epsilon.", check: ConfigCheck("must be positive") { $0 > 0 })),
        .init(ConfigSetting(
            \.targetReturn, "target-return", "Stop when the 100-episode mean return reaches this.",
            defaultHelp: "the environment's reward threshold",
            ifSet: ConfigCheck("must be a finite number", showsValue: false) { $0.isFinite })),
        // Network.
        .init(ConfigSetting(
            \.network, "network", "Network: paper (the A3C paper's conv net, for pictures), paper-lstm (the same with an LSTM), nature (DQN's larger conv net, as baselines, SB3 and CleanRL use), universe (4 convs on 42x42 frames + LSTM, as universe-starter-agent and pytorch-a3c), mlp (vectors), mlp-lstm (vectors, with memory) or auto.")),
        .init(ConfigSetting(\.lstmSize, "lstm-size", "Cells of the LSTM of recurrent networks (mlp-lstm: 64; universe, paper-lstm: 256).", check: .between(1, 4096))),
        .init(ConfigSetting(
            \.lstmFirst, "lstm-first",
            "mlp-lstm: the LSTM reads the observations and the hidden layers follow it (as SB3's RecurrentPPO), instead of reading the last hidden layer.")),
        .init(ConfigSetting(
            \.hiddenSizes, "hidden", "Hidden layer sizes of the MLP, comma-separated.",
            check: ConfigCheck("must list positive layer sizes") { !$0.isEmpty && $0.allSatisfy { $0 > 0 && $0 <= 65536 } })),
        .init(ConfigSetting(\.activation, "activation", "Non-linearity of the MLP: tanh, relu or elu.")),
        .init(ConfigSetting(
            \.pictureActivation, "picture-activation",
            "Non-linearity of the picture networks' layers: relu or elu (a unit below zero still learns).",
            defaultHelp: "each network's own: relu, elu for universe")),
        .init(ConfigSetting(
            \.trunk, "trunk",
            "MLP: one trunk for the policy and the value (shared, the paper's) or a policy tower and a value tower of --hidden each (separate).")),
        .init(ConfigSetting(
            \.std, "std", "Continuous actions: the Gaussian's sigma from the state (state: softplus of the head, the paper's) or a learned log sigma (parameter).")),
        .init(ConfigSetting(
            \.initialStd, "initial-std", "Continuous actions: the Gaussian's sigma at the start.",
            defaultHelp: "1 for --std parameter, 0.69 for --std state",
            ifSet: ConfigCheck("must be in (0, 100]") { $0 > 0 && $0 <= 100 })),
        // Picture preprocessing.
        .init(ConfigSetting(
            \.frameSize, "frame-size", "Pictures resized to SIDE or HEIGHTxWIDTH: 84 (the paper), 42, 80, 100x160, ...",
            defaultHelp: "84",
            check: ConfigCheck("must be one side or HEIGHTxWIDTH, each 8 to 1024") {
                ($0.count == 1 || $0.count == 2) && $0.allSatisfy { $0 >= 8 && $0 <= 1024 }
            },
            parse: { parseFrameSize($0) }, expectation: "SIDE or HEIGHTxWIDTH")),
        .init(ConfigSetting(\.frameStack, "frame-stack", "Frames stacked as the observation.", check: .between(1, 64))),
        .init(ConfigSetting(
            \.frameSkip, "frame-skip", "Emulator frames (ViZDoom tics) per agent step; Atari max-pools the last two.",
            check: .between(1, 64))),
        .init(ConfigSetting(
            \.noopMax, "noop-max", "Atari: 1 to this many random single-frame no-ops when a game starts.", check: .between(0, 1000))),
        .init(ConfigSetting(
            \.stickyActions, "sticky-actions", "Atari repeat_action_probability: 0 or 0.25.", defaultHelp: "0",
            check: ConfigCheck("must be in [0, 1)") { $0 >= 0 && $0 < 1 })),
        .init(ConfigSetting(
            \.atariHost, "atari-host",
            "Atari: what steps the games: native (ALE in C++, no Python between frames; built by scripts/setup.sh), python (Gymnasium's AtariEnv) or auto (native where it is built and runs the id, else Python). Both play the same games.")),
        .init(ConfigSetting(
            \.normalizeObservations, "normalize-observations",
            "Vector observations: normalise each element by its running mean and variance over all workers (clipped to +-10).")),
        .init(ConfigSetting(
            \.normalizeRewards, "normalize-rewards",
            "Divide rewards by the running standard deviation of the discounted return over all workers (clipped to +-10) for learning.")),
        .init(ConfigSetting(\.clipRewards, "clip-rewards", "Atari and ViZDoom: clip rewards to [-1, 1] for learning.")),
        .init(ConfigSetting(
            \.subtractBackground, "subtract-background",
            "Atari and ViZDoom: subtract each frame's most common grey level, so that a uniform background (Pong's grey court) reads 0 as a black one does.")),
        .init(ConfigSetting(\.episodicLife, "episodic-life", "Atari: a lost life ends the training episode.")),
        .init(ConfigSetting(\.fireReset, "fire-reset", "Atari: press FIRE on reset where the game needs it.")),
        .init(ConfigSetting(
            \.crop, "crop", "Cut TOP,BOTTOM,LEFT,RIGHT pixels off pictures before resizing (e.g. 40,0,0,0: the top of a ViZDoom screen).",
            check: ConfigCheck("must be four non-negative numbers: top,bottom,left,right", showsValue: false) {
                $0.count == 4 && $0.allSatisfy { $0 >= 0 }
            },
            parse: { [Int](configArgument: $0).flatMap { $0.count == 4 ? $0 : nil } },
            expectation: "TOP,BOTTOM,LEFT,RIGHT")),
        // Batching, schedule, rewards and evaluation.
        .init(ConfigSetting(
            \.algorithm, "algo",
            "a3c: asynchronous Hogwild updates after each worker's rollout; a2c: all environments of all "
                + "workers in lock-step, one synchronous update per rollout over the whole batch; ppo: in lock-step, "
                + "--epochs passes of --minibatches updates over each rollout (clipped surrogate, GAE).")),
        .init(ConfigSetting(\.epochs, "epochs", "PPO: passes over each rollout.", check: .between(1, 1000))),
        .init(ConfigSetting(
            \.minibatches, "minibatches",
            "PPO: minibatches per pass; each holds t-max x envs-per-worker / minibatches rows of every worker.",
            check: .between(1, 100_000))),
        .init(ConfigSetting(
            \.clipRange, "clip-range", "PPO: clip the probability ratio to [1 - this, 1 + this].",
            check: ConfigCheck("must be in (0, 1)") { $0 > 0 && $0 < 1 })),
        .init(ConfigSetting(
            \.clipRangeSchedule, "clip-range-schedule", "PPO: the clip range, constant or linear (annealed to 0 over the step budget).")),
        .init(ConfigSetting(
            \.clipValueLoss, "clip-value-loss",
            "PPO: the value loss is the larger of (V - R)^2 and that of V kept within --clip-range of the value that acted.")),
        .init(ConfigSetting(
            \.normalizeAdvantages, "normalize-advantages", "Normalise advantages to mean 0, deviation 1: PPO's over each worker's part of a minibatch (on by its defaults), A3C's and A2C's over each worker's rollout.")),
        .init(ConfigSetting(
            \.targetKL, "target-kl",
            "PPO: end a rollout's passes early once a pass's last minibatch had an approximate KL above this (mean of every worker).",
            defaultHelp: "off", ifSet: .positive)),
        .init(ConfigSetting(
            \.envsPerWorker, "envs-per-worker",
            "Environments each worker steps together; one batched forward pass per step over them.",
            check: .between(1, 4096))),
        .init(ConfigSetting(
            \.learningRateSchedule, "lr-schedule",
            "Learning rate: linear (annealed to 0 over the step budget) or constant.")),
        .init(ConfigSetting(
            \.rewardScale, "reward-scale", "Multiply rewards by this for learning (after clipping, if on); scores stay real.",
            check: .positive)),
        .init(ConfigSetting(
            \.precision, "precision",
            "Matrix products' inputs: fp32, bf16 (rounded to bf16, accumulated in fp32; CPUs with AVX512-BF16 or AMX) or auto (bf16 for PPO with the Nature network on CPUs that have it, fp32 elsewhere). Parameters, gradients and optimizer state stay fp32.")),
        .init(ConfigSetting(
            \.maxHostRestarts, "max-host-restarts",
            "Times each worker may replace an environment host that died or hung before the run stops.",
            check: .between(0, 1_000_000))),
        .init(ConfigSetting(
            \.evalEvery, "eval-every",
            "Every this many steps, play --eval-episodes whole games on a separate environment with the current parameters.",
            ifSet: ConfigCheck("must be at least 1") { $0 >= 1 })),
        .init(ConfigSetting(\.evalEpisodes, "eval-episodes", "Games per evaluation (--eval-every).", check: .between(1, 10_000))),
        .init(ConfigSetting(
            \.evalGreedy, "eval-greedy", "Evaluations take the most likely action instead of sampling.")),
    ]

    /// `"84"` is 84x84; `"100x160"` is 100 rows by 160 columns.
    public static func parseFrameSize(_ text: String) -> [Int]? {
        let parts = text.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 1 || parts.count == 2, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.count == 1 ? [parts[0]!, parts[0]!] : [parts[0]!, parts[1]!]
    }
}
