import ActorCritic
import ArgumentParser
import NeuralNet

// The options of `a3c train` that set hyper-parameters. Each option's name, help and default come
// from its row in `TrainingConfig.settings`, and its argument is read as that row reads it.
//
// Adding a hyper-parameter takes: its property on `TrainingConfig`, its row in the settings table,
// and here its `@Option` line plus the `set` line next to it in the same group's `apply`.
// (argument-parser finds options by reflecting over stored properties, so the table cannot create
// them, and a property wrapper cannot say which setting it fills; `optionsSetEveryTableSetting`
// in the tests fails for a row that has no option.)

/// An option group that sets some hyper-parameters.
protocol ConfigOptionGroup: ParsableArguments {
    /// Sets in `config` every option given on the command line; the others keep `config`'s values.
    func apply(to config: inout TrainingConfig)
}

extension Option {
    /// `--KEY VALUE` for the setting at `keyPath`.
    init<T: ConfigValue>(_ keyPath: WritableKeyPath<TrainingConfig, T>, parsing: SingleValueParsingStrategy = .next)
    where Value == T? {
        let setting = TrainingConfig.setting(keyPath)
        nonisolated(unsafe) let keyPath = keyPath
        self.init(name: .customLong(setting.key), parsing: parsing, help: setting.optionHelp) { text in
            try setting.parsed(text)[keyPath: keyPath]
        }
    }

    /// `--KEY VALUE` for an optional setting: given means set.
    init<W: ConfigValue>(_ keyPath: WritableKeyPath<TrainingConfig, W?>, parsing: SingleValueParsingStrategy = .next)
    where Value == W? {
        let setting = TrainingConfig.setting(keyPath)
        nonisolated(unsafe) let keyPath = keyPath
        self.init(name: .customLong(setting.key), parsing: parsing, help: setting.optionHelp) { text in
            try setting.parsed(text)[keyPath: keyPath]!
        }
    }
}

extension Flag where Value == Bool? {
    /// `--KEY` / `--no-KEY` for the Boolean setting at `keyPath`.
    init(_ keyPath: WritableKeyPath<TrainingConfig, Bool>) {
        let setting = TrainingConfig.setting(keyPath)
        self.init(name: .customLong(setting.key), inversion: .prefixedNo, help: setting.optionHelp)
    }
}

extension AnyConfigSetting {
    /// The help, then the default.
    fileprivate var optionHelp: ArgumentHelp { ArgumentHelp("\(help) (default: \(defaultHelp))") }

    /// A default config with this setting read from `text`. The error says only what was expected:
    /// argument-parser's message already names the option and the value.
    fileprivate func parsed(_ text: String) throws -> TrainingConfig {
        var config = TrainingConfig()
        do {
            try apply(argument: text, to: &config)
        } catch {
            throw ConfigurationError("expected \(expectation)")
        }
        return config
    }
}

extension TrainingConfig {
    /// Sets the value at `keyPath` when one was given.
    fileprivate mutating func set<T>(_ keyPath: WritableKeyPath<TrainingConfig, T>, _ given: T?) {
        if let given { self[keyPath: keyPath] = given }
    }

    /// Sets an optional setting when a value was given (never back to nil).
    fileprivate mutating func set<W>(_ keyPath: WritableKeyPath<TrainingConfig, W?>, _ given: W?) {
        if let given { self[keyPath: keyPath] = given }
    }
}

/// The environment and how its pictures are prepared.
struct EnvironmentSetupOptions: ConfigOptionGroup {
    @Option(\.environmentID) var env: String?
    @Option(\.frameSize) var frameSize: [Int]?
    @Option(\.frameStack) var frameStack: Int?
    @Option(\.frameSkip) var frameSkip: Int?
    @Option(\.noopMax) var noopMax: Int?
    @Option(\.stickyActions) var stickyActions: Double?
    @Flag(\.clipRewards) var clipRewards: Bool?
    @Flag(\.episodicLife) var episodicLife: Bool?
    @Flag(\.fireReset) var fireReset: Bool?
    @Option(\.crop) var crop: [Int]?
    @Option(\.rewardScale) var rewardScale: Float?

    func apply(to c: inout TrainingConfig) {
        c.set(\.environmentID, env)
        c.set(\.frameSize, frameSize)
        c.set(\.frameStack, frameStack)
        c.set(\.frameSkip, frameSkip)
        c.set(\.noopMax, noopMax)
        c.set(\.stickyActions, stickyActions)
        c.set(\.clipRewards, clipRewards)
        c.set(\.episodicLife, episodicLife)
        c.set(\.fireReset, fireReset)
        c.set(\.crop, crop)
        c.set(\.rewardScale, rewardScale)
    }
}

/// The algorithm, its scale and its returns.
struct AlgorithmOptions: ConfigOptionGroup {
    @Option(\.algorithm) var algo: Algorithm?
    @Option(\.workers) var workers: Int?
    @Option(\.envsPerWorker) var envsPerWorker: Int?
    @Option(\.totalSteps) var steps: Int?
    @Option(\.seed) var seed: UInt64?
    @Option(\.tMax) var tMax: Int?
    @Option(\.gamma) var gamma: Float?
    @Option(\.entropyBeta) var entropyBeta: Float?
    @Option(\.valueCoefficient) var valueCoefficient: Float?
    @Option(\.gaeLambda) var gaeLambda: Float?
    @Option(\.targetReturn, parsing: .unconditional) var targetReturn: Double?

    func apply(to c: inout TrainingConfig) {
        c.set(\.algorithm, algo)
        c.set(\.workers, workers)
        c.set(\.envsPerWorker, envsPerWorker)
        c.set(\.totalSteps, steps)
        c.set(\.seed, seed)
        c.set(\.tMax, tMax)
        c.set(\.gamma, gamma)
        c.set(\.entropyBeta, entropyBeta)
        c.set(\.valueCoefficient, valueCoefficient)
        c.set(\.gaeLambda, gaeLambda)
        c.set(\.targetReturn, targetReturn)
    }
}

/// The shared optimizer and its learning rate.
struct OptimizationOptions: ConfigOptionGroup {
    @Option(\.learningRate) var lr: Float?
    @Option(\.learningRateSchedule) var lrSchedule: LearningRateSchedule?
    @Option(\.maxGradNorm) var maxGradNorm: Float?
    @Option(\.optimizer) var optimizer: OptimizerKind?
    @Option(\.rmspropAlpha) var rmspropAlpha: Float?
    @Option(\.rmspropEpsilon) var rmspropEpsilon: Float?
    @Option(\.adamEpsilon) var adamEpsilon: Float?

    func apply(to c: inout TrainingConfig) {
        c.set(\.learningRate, lr)
        c.set(\.learningRateSchedule, lrSchedule)
        c.set(\.maxGradNorm, maxGradNorm)
        c.set(\.optimizer, optimizer)
        c.set(\.rmspropAlpha, rmspropAlpha)
        c.set(\.rmspropEpsilon, rmspropEpsilon)
        c.set(\.adamEpsilon, adamEpsilon)
    }
}

/// The network.
struct NetworkOptions: ConfigOptionGroup {
    @Option(\.network) var network: NetworkArchitecture?
    @Option(\.hiddenSizes) var hidden: [Int]?
    @Option(\.activation) var activation: Activation?

    func apply(to c: inout TrainingConfig) {
        c.set(\.network, network)
        c.set(\.hiddenSizes, hidden)
        c.set(\.activation, activation)
    }
}

/// Games played during training to measure the current parameters.
struct EvaluationOptions: ConfigOptionGroup {
    @Option(\.evalEvery) var evalEvery: Int?
    @Option(\.evalEpisodes) var evalEpisodes: Int?
    @Flag(\.evalGreedy) var evalGreedy: Bool?

    func apply(to c: inout TrainingConfig) {
        c.set(\.evalEvery, evalEvery)
        c.set(\.evalEpisodes, evalEpisodes)
        c.set(\.evalGreedy, evalGreedy)
    }
}

/// Where the run lives and what it writes: not hyper-parameters, so not in config files.
struct RunOptions: ParsableArguments {
    @Option(name: .long, help: "YAML file of settings; keys are these options' long names (env, lr, t-max, ...).")
    var config: String?

    @Option(name: .long, help: "Run directory. (default: runs/<env>-<date>-<time>)")
    var out: String?

    @Option(name: .long, help: "Continue the run in this directory from its latest checkpoint.")
    var resume: String?

    @Option(name: .customLong("checkpoint-every"), help: "Write checkpoints/latest.safetensors every this many steps. (default: 100000)")
    var checkpointEvery = 100_000

    @Option(name: .customLong("log-every"), help: "Seconds between update rows in metrics.csv and TensorBoard. (default: 1)")
    var logEvery = 1.0

    @Option(name: .customLong("summary-json"), help: "Also write the summary to this JSON file.")
    var summaryJSON: String?

    @Flag(name: .long, help: "Print only the summary.")
    var quiet = false

    func validate() throws {
        guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive, got \(checkpointEvery)") }
        guard logEvery > 0 && logEvery.isFinite else { throw ValidationError("--log-every must be positive, got \(logEvery)") }
        if resume != nil && (config != nil || out != nil) {
            throw ValidationError("--resume continues a run in its own directory with its own config: drop --config and --out")
        }
    }
}
