import ActorCritic
import ArgumentParser
import Foundation

// The options of `a3c train` that set hyper-parameters. Each option's name, help and default come
// from its row in `TrainingConfig.settings`, its argument is read as that row reads it, and the
// groups apply every such option they hold without naming it again.
//
// Adding a hyper-parameter takes: its property on `TrainingConfig` (doc, default), its row in the
// settings table (key, help, check), and its `@Option(\.property)` line in one of the groups below.
// A Boolean is a `@Flag` (`--KEY` / `--no-KEY`), whose value argument-parser cannot tag with its
// setting, so it also takes a `set` line in its group's `applyFlags`. `optionsSetEveryTableSetting`
// in the tests fails for a row that the command line does not reach.

/// A hyper-parameter given on the command line, already read by its setting's rules.
struct ConfigArgument: Sendable {
    let setting: AnyConfigSetting
    /// The defaults with this one setting set from the argument.
    let parsed: TrainingConfig

    func apply(to config: inout TrainingConfig) { setting.copy(from: parsed, to: &config) }
}

/// An option group that sets some hyper-parameters.
protocol ConfigOptionGroup: ParsableArguments {
    /// Sets the group's Boolean flags that were given.
    func applyFlags(to config: inout TrainingConfig)
}

extension ConfigOptionGroup {
    func applyFlags(to config: inout TrainingConfig) {}

    /// Sets in `config` every option of this group given on the command line; the others keep
    /// `config`'s values.
    func apply(to config: inout TrainingConfig) {
        // Every `@Option(\.property)` holds an `Option<ConfigArgument?>` that knows its setting.
        for child in Mirror(reflecting: self).children {
            if let option = child.value as? Option<ConfigArgument?>, let given = option.wrappedValue {
                given.apply(to: &config)
            }
        }
        applyFlags(to: &config)
    }
}

extension Option where Value == ConfigArgument? {
    /// `--KEY VALUE` for the setting at `keyPath`.
    init(_ keyPath: PartialKeyPath<TrainingConfig>, parsing: SingleValueParsingStrategy = .next) {
        let setting = TrainingConfig.setting(keyPath)
        self.init(name: .customLong(setting.key), parsing: parsing, help: setting.optionHelp) { text in
            var config = TrainingConfig()
            do {
                try setting.apply(argument: text, to: &config)
            } catch {
                // argument-parser's message already names the option and the value.
                throw ConfigurationError("expected \(setting.expectation)")
            }
            return ConfigArgument(setting: setting, parsed: config)
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
}

extension TrainingConfig {
    /// Sets the flag at `keyPath` when it was given.
    fileprivate mutating func set(_ keyPath: WritableKeyPath<TrainingConfig, Bool>, _ given: Bool?) {
        if let given { self[keyPath: keyPath] = given }
    }
}

/// The environment and how its pictures are prepared.
struct EnvironmentSetupOptions: ConfigOptionGroup {
    @Option(\.environmentID) var env: ConfigArgument?
    @Option(\.frameSize) var frameSize: ConfigArgument?
    @Option(\.frameStack) var frameStack: ConfigArgument?
    @Option(\.frameSkip) var frameSkip: ConfigArgument?
    @Option(\.noopMax) var noopMax: ConfigArgument?
    @Option(\.stickyActions) var stickyActions: ConfigArgument?
    @Option(\.atariHost) var atariHost: ConfigArgument?
    @Flag(\.clipRewards) var clipRewards: Bool?
    @Flag(\.subtractBackground) var subtractBackground: Bool?
    @Flag(\.episodicLife) var episodicLife: Bool?
    @Flag(\.fireReset) var fireReset: Bool?
    @Option(\.crop) var crop: ConfigArgument?
    @Option(\.rewardScale) var rewardScale: ConfigArgument?
    @Flag(\.normalizeObservations) var normalizeObservations: Bool?
    @Flag(\.normalizeRewards) var normalizeRewards: Bool?
    @Option(\.maxHostRestarts) var maxHostRestarts: ConfigArgument?

    func applyFlags(to c: inout TrainingConfig) {
        c.set(\.clipRewards, clipRewards)
        c.set(\.subtractBackground, subtractBackground)
        c.set(\.episodicLife, episodicLife)
        c.set(\.fireReset, fireReset)
        c.set(\.normalizeObservations, normalizeObservations)
        c.set(\.normalizeRewards, normalizeRewards)
    }
}

/// The algorithm, its scale and its returns.
struct AlgorithmOptions: ConfigOptionGroup {
    @Option(\.algorithm) var algo: ConfigArgument?
    @Option(\.workers) var workers: ConfigArgument?
    @Option(\.envsPerWorker) var envsPerWorker: ConfigArgument?
    @Option(\.totalSteps) var steps: ConfigArgument?
    @Option(\.seed) var seed: ConfigArgument?
    @Option(\.tMax) var tMax: ConfigArgument?
    @Option(\.gamma) var gamma: ConfigArgument?
    @Option(\.entropyBeta) var entropyBeta: ConfigArgument?
    @Option(\.valueCoefficient) var valueCoefficient: ConfigArgument?
    @Option(\.gaeLambda) var gaeLambda: ConfigArgument?
    @Option(\.targetReturn, parsing: .unconditional) var targetReturn: ConfigArgument?
    @Option(\.epochs) var epochs: ConfigArgument?
    @Option(\.minibatches) var minibatches: ConfigArgument?
    @Option(\.clipRange) var clipRange: ConfigArgument?
    @Option(\.clipRangeSchedule) var clipRangeSchedule: ConfigArgument?
    @Flag(\.clipValueLoss) var clipValueLoss: Bool?
    @Flag(\.normalizeAdvantages) var normalizeAdvantages: Bool?
    @Option(\.targetKL) var targetKL: ConfigArgument?

    func applyFlags(to c: inout TrainingConfig) {
        c.set(\.clipValueLoss, clipValueLoss)
        c.set(\.normalizeAdvantages, normalizeAdvantages)
    }
}

/// The shared optimizer and its learning rate.
struct OptimizationOptions: ConfigOptionGroup {
    @Option(\.learningRate) var lr: ConfigArgument?
    @Option(\.learningRateSchedule) var lrSchedule: ConfigArgument?
    @Option(\.maxGradNorm) var maxGradNorm: ConfigArgument?
    @Option(\.optimizer) var optimizer: ConfigArgument?
    @Option(\.rmspropAlpha) var rmspropAlpha: ConfigArgument?
    @Option(\.rmspropEpsilon) var rmspropEpsilon: ConfigArgument?
    @Option(\.adamEpsilon) var adamEpsilon: ConfigArgument?
}

/// The network.
struct NetworkOptions: ConfigOptionGroup {
    @Option(\.network) var network: ConfigArgument?
    @Option(\.hiddenSizes) var hidden: ConfigArgument?
    @Option(\.lstmSize) var lstmSize: ConfigArgument?
    @Flag(\.lstmFirst) var lstmFirst: Bool?
    @Option(\.activation) var activation: ConfigArgument?
    @Option(\.pictureActivation) var pictureActivation: ConfigArgument?
    @Option(\.trunk) var trunk: ConfigArgument?
    @Option(\.std) var std: ConfigArgument?
    @Option(\.initialStd) var initialStd: ConfigArgument?
    @Option(\.precision) var precision: ConfigArgument?

    func applyFlags(to c: inout TrainingConfig) {
        c.set(\.lstmFirst, lstmFirst)
    }
}

/// Games played during training to measure the current parameters.
struct EvaluationOptions: ConfigOptionGroup {
    @Option(\.evalEvery) var evalEvery: ConfigArgument?
    @Option(\.evalEpisodes) var evalEpisodes: ConfigArgument?
    @Flag(\.evalGreedy) var evalGreedy: Bool?

    func applyFlags(to c: inout TrainingConfig) {
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

    @Option(name: .customLong("checkpoint-every"), help: "Write checkpoints/latest.safetensors every this many steps.")
    var checkpointEvery = 100_000

    @Option(name: .customLong("log-every"), help: "Seconds between update rows in metrics.csv and TensorBoard.")
    var logEvery = 1.0

    @Option(name: .customLong("summary-json"), help: "Also write the summary to this JSON file.")
    var summaryJSON: String?

    @Flag(name: .long, help: "Print only the summary.")
    var quiet = false

    @Flag(
        name: .long,
        help: "Run as one rank of an MPI job (mpirun -np N a3c train ...): rank 0 keeps the parameters, the optimizer and the run directory, the others act and learn for it. On by itself under mpirun.")
    var distributed = false

    @Option(
        name: .customLong("server-workers"),
        help: "Distributed runs: workers on rank 0 beside serving the others; 0 makes it a dedicated parameter server (A3C). (default: --workers)")
    var serverWorkers: Int?

    @Option(
        name: .long,
        help: "Start the run as this many MPI ranks (rank 0 the parameter server) through Open MPI's mpirun, on this machine or on --hostfile's; Ctrl-C stops every rank with a checkpoint and exits 0.")
    var ranks: Int?

    @Option(
        name: .long,
        help: "With --ranks: Open MPI hostfile naming the machines (\"node1 slots=8\" per line); the a3c binary and the environments must be at the same paths on each.")
    var hostfile: String?

    func validate() throws {
        if let ranks {
            guard (1...4096).contains(ranks) else { throw ValidationError("--ranks must be between 1 and 4096, got \(ranks)") }
            if distributed || MPI.launchedSize != nil {
                throw ValidationError("--ranks starts mpirun itself: drop it under mpirun, or drop --distributed")
            }
        }
        if let hostfile {
            guard ranks != nil else { throw ValidationError("--hostfile goes with --ranks (how many ranks to start on its machines)") }
            guard FileManager.default.isReadableFile(atPath: hostfile) else {
                throw ValidationError("--hostfile \(hostfile): there is no readable file there")
            }
        }
        if let serverWorkers, !(0...1024).contains(serverWorkers) {
            throw ValidationError("--server-workers must be between 0 and 1024, got \(serverWorkers)")
        }
        guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive, got \(checkpointEvery)") }
        guard logEvery > 0 && logEvery.isFinite else { throw ValidationError("--log-every must be positive, got \(logEvery)") }
        if resume != nil && (config != nil || out != nil) {
            throw ValidationError("--resume continues a run in its own directory with its own config: drop --config and --out")
        }
        // Found out before training, not after it.
        if let summaryJSON {
            let directory = URL(fileURLWithPath: summaryJSON).deletingLastPathComponent()
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--summary-json \(summaryJSON): there is no directory \(directory.path)")
            }
        }
    }
}
