import ActorCritic
import ArgumentParser
import Environments
import Foundation
import NeuralNet
import RunArtifacts

/// `a3c train`: runs A3C, writes the run directory, prints progress and a summary.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an A3C agent.",
        discussion: """
            Stops when the mean return of the last 100 training episodes reaches the target \
            (by default the environment's reward threshold: 475 for CartPole-v1) or when the step \
            budget is spent. The learning rate falls linearly to 0 over the budget. The defaults below \
            are for vector observations; Atari (ALE/...) and ViZDoom ids start from the paper's set-up \
            instead: network paper, --optimizer adam, --lr 0.0001, --t-max 20, --steps 10000000. Options given \
            here override those of --config; when resuming, they override the run's own config. \
            Ctrl-C (SIGINT) or SIGTERM stops the workers, writes a checkpoint and exits with status 0; \
            a second one exits at once.
            """)

    private static let defaults = TrainingConfig()

    @Option(name: .long, help: "Environment id (see `a3c envs`). (default: \(defaults.environmentID))")
    var env: String?

    @Option(name: .long, help: "Actor-learner threads. (default: one per core, \(TrainingConfig.defaultWorkers) here)")
    var workers: Int?

    @Option(name: .long, help: "Budget of environment steps, all workers together. (default: \(defaults.totalSteps))")
    var steps: Int?

    @Option(name: .long, help: "Seed for the network, the environments and sampling. (default: drawn at random and reported)")
    var seed: UInt64?

    @Option(name: .long, help: "Initial learning rate, annealed linearly to 0 over the budget. (default: \(defaults.learningRate))")
    var lr: Float?

    @Option(name: .customLong("t-max"), help: "Steps per rollout before each update. (default: \(defaults.tMax))")
    var tMax: Int?

    @Option(name: .long, help: "Discount factor. (default: \(defaults.gamma))")
    var gamma: Float?

    @Option(name: .customLong("entropy-beta"), help: "Weight of the entropy bonus. (default: \(defaults.entropyBeta))")
    var entropyBeta: Float?

    @Option(name: .customLong("value-coef"), help: "Weight c_v of the value loss c_v (R - V)^2. (default: \(defaults.valueCoefficient))")
    var valueCoefficient: Float?

    @Option(name: .customLong("max-grad-norm"), help: "Clip each update's gradient to this global norm, 0 for no clipping. (default: \(defaults.maxGradNorm))")
    var maxGradNorm: Float?

    @Option(name: .customLong("gae-lambda"), help: "Use GAE with this lambda instead of n-step returns. (default: off)")
    var gaeLambda: Float?

    @Option(name: .long, help: "Shared optimizer: rmsprop (the paper's) or adam. (default: \(defaults.optimizer.rawValue))")
    var optimizer: OptimizerKind?

    @Option(name: .customLong("rmsprop-alpha"), help: "RMSProp decay. (default: \(defaults.rmspropAlpha))")
    var rmspropAlpha: Float?

    @Option(name: .customLong("rmsprop-epsilon"), help: "RMSProp epsilon, inside the square root. (default: \(defaults.rmspropEpsilon))")
    var rmspropEpsilon: Float?

    @Option(name: .customLong("adam-epsilon"), help: "Adam epsilon. (default: \(defaults.adamEpsilon))")
    var adamEpsilon: Float?

    @Option(
        name: .customLong("target-return"), parsing: .unconditional,
        help: "Stop when the 100-episode mean return reaches this. (default: the environment's reward threshold)")
    var targetReturn: Double?

    @Option(name: .long, help: "Network: paper (the A3C paper's conv net, for pictures), mlp (vectors) or auto. (default: auto)")
    var network: NetworkArchitecture?

    @Option(name: .long, help: "Hidden layer sizes of the MLP, comma-separated. (default: \(defaults.hiddenSizes.map(String.init).joined(separator: ",")))")
    var hidden: String?

    @Option(name: .long, help: "Non-linearity of the MLP: tanh or relu. (default: \(defaults.activation.rawValue))")
    var activation: Activation?

    @Option(name: .customLong("frame-size"), help: "Pictures resized to SIDE or HEIGHTxWIDTH: 84 (the paper), 42, 80, 100x160, ... (default: 84)")
    var frameSize: String?

    @Option(name: .customLong("frame-stack"), help: "Frames stacked as the observation. (default: \(defaults.frameStack))")
    var frameStack: Int?

    @Option(name: .customLong("frame-skip"), help: "Emulator frames (ViZDoom tics) per agent step; Atari max-pools the last two. (default: \(defaults.frameSkip))")
    var frameSkip: Int?

    @Option(name: .customLong("noop-max"), help: "Atari: up to this many random no-ops after reset. (default: \(defaults.noopMax))")
    var noopMax: Int?

    @Option(name: .customLong("sticky-actions"), help: "Atari repeat_action_probability: 0 or 0.25. (default: 0)")
    var stickyActions: Double?

    @Flag(name: .customLong("clip-rewards"), inversion: .prefixedNo, help: "Atari: clip rewards to [-1, 1] for learning. (default: on)")
    var clipRewards: Bool?

    @Flag(name: .customLong("episodic-life"), inversion: .prefixedNo, help: "Atari: a lost life ends the training episode. (default: on)")
    var episodicLife: Bool?

    @Flag(name: .customLong("fire-reset"), inversion: .prefixedNo, help: "Atari: press FIRE on reset where the game needs it. (default: on)")
    var fireReset: Bool?

    @Option(name: .long, help: "Cut TOP,BOTTOM,LEFT,RIGHT pixels off pictures before resizing (seed 002 crops ViZDoom). (default: 0,0,0,0)")
    var crop: String?

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
        if let hidden, parseHidden(hidden) == nil {
            throw ValidationError("--hidden must be comma-separated integers, got '\(hidden)'")
        }
        if let frameSize, Self.parseFrameSize(frameSize) == nil {
            throw ValidationError("--frame-size must be SIDE or HEIGHTxWIDTH, got '\(frameSize)'")
        }
        if let crop, parseHidden(crop)?.count != 4 {
            throw ValidationError("--crop must be TOP,BOTTOM,LEFT,RIGHT, got '\(crop)'")
        }
    }

    static func parseFrameSize(_ text: String) -> [Int]? {
        let parts = text.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 1 || parts.count == 2, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.count == 1 ? [parts[0]!, parts[0]!] : [parts[0]!, parts[1]!]
    }

    private func parseHidden(_ text: String) -> [Int]? {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 != nil }) else { return nil }
        return sizes.map { $0! }
    }

    /// `base` with every option given on the command line applied.
    private func applyingOptions(to base: TrainingConfig) -> TrainingConfig {
        var c = base
        if let env { c.environmentID = env }
        if let workers { c.workers = workers }
        if let steps { c.totalSteps = steps }
        if let seed { c.seed = seed }
        if let lr { c.learningRate = lr }
        if let tMax { c.tMax = tMax }
        if let gamma { c.gamma = gamma }
        if let entropyBeta { c.entropyBeta = entropyBeta }
        if let valueCoefficient { c.valueCoefficient = valueCoefficient }
        if let maxGradNorm { c.maxGradNorm = maxGradNorm }
        if let gaeLambda { c.gaeLambda = gaeLambda }
        if let optimizer { c.optimizer = optimizer }
        if let rmspropAlpha { c.rmspropAlpha = rmspropAlpha }
        if let rmspropEpsilon { c.rmspropEpsilon = rmspropEpsilon }
        if let adamEpsilon { c.adamEpsilon = adamEpsilon }
        if let targetReturn { c.targetReturn = targetReturn }
        if let network { c.network = network }
        if let hidden, let sizes = parseHidden(hidden) { c.hiddenSizes = sizes }
        if let activation { c.activation = activation }
        if let frameSize, let size = Self.parseFrameSize(frameSize) { c.frameSize = size }
        if let frameStack { c.frameStack = frameStack }
        if let frameSkip { c.frameSkip = frameSkip }
        if let noopMax { c.noopMax = noopMax }
        if let stickyActions { c.stickyActions = stickyActions }
        if let clipRewards { c.clipRewards = clipRewards }
        if let episodicLife { c.episodicLife = episodicLife }
        if let fireReset { c.fireReset = fireReset }
        if let crop, let values = parseHidden(crop) { c.crop = values }
        return c
    }

    func run() throws {
        // Everything is checked before the run directory is touched: bad input leaves it as it was.
        let trainer: Trainer
        let run: RunDirectory
        let resuming = resume != nil
        if let resume {
            run = RunDirectory(url: URL(fileURLWithPath: resume))
            let saved = try run.readConfig()
            let checkpoint = try Checkpoint.read(try run.latestCheckpoint())
            let config = applyingOptions(to: saved.config)
            let candidate = try Trainer(config: config, resumingFrom: checkpoint.state)
            try checkpoint.verifyShapes(match: candidate.model)
            trainer = candidate
            // Options given on resuming (a longer budget, say) hold for later resumes too.
            if config != saved.config {
                var updated = saved
                updated.config = config
                updated.resolvedTargetReturn = trainer.targetReturn
                try run.writeConfig(updated)
            }
        } else {
            // Defaults for the environment (Atari and ViZDoom have their own), then the file, then options.
            var loaded: TrainingConfigFile.Loaded?
            if let config { loaded = try TrainingConfigFile.load(URL(fileURLWithPath: config)) }
            let environmentID = env ?? (loaded.flatMap { $0.keys.contains("env") ? $0.config.environmentID : nil })
                ?? TrainingConfig().environmentID
            var base = TrainingConfig.defaults(for: environmentID)
            if let loaded { base = base.merging(loaded.config, keys: loaded.keys) }
            let seedFromFile = loaded?.keys.contains("seed") ?? false
            var resolved = applyingOptions(to: base)
            if seed == nil && !seedFromFile { resolved.seed = UInt64.random(in: 1...999_999) }
            trainer = try Trainer(config: resolved)
            run = RunDirectory(url: out.map { URL(fileURLWithPath: $0) } ?? Self.freshDefaultURL(for: resolved.environmentID))
            try run.create()
            try run.writeConfig(
                RunDirectory.ConfigFile(
                    packageVersion: PackageVersion.current, created: ISO8601DateFormatter().string(from: Date()),
                    resolvedTargetReturn: trainer.targetReturn, parameterCount: trainer.model.parameterCount,
                    config: trainer.config))
        }
        try train(trainer, in: run, resuming: resuming)
    }

    /// `runs/<env>-<time>`, with `-2`, `-3`... when runs start within the same second.
    private static func freshDefaultURL(for environmentID: String) -> URL {
        let base = RunDirectory.defaultURL(environmentID: environmentID)
        var candidate = base
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = URL(fileURLWithPath: base.path + "-\(suffix)")
            suffix += 1
        }
        return candidate
    }

    private func train(_ trainer: Trainer, in run: RunDirectory, resuming: Bool) throws {
        let config = trainer.config
        let logger = try RunLogger(run: run)
        let interrupt = InterruptHandler()
        defer { interrupt.restore() }
        let progress = ProgressDisplay(enabled: !quiet, totalSteps: config.totalSteps)
        let startWallClock = Date().timeIntervalSince1970 - trainer.progress.elapsedSeconds
        if !quiet {
            let verb = resuming ? "resuming" : "training"
            progress.message(
                "a3c: \(verb) \(config.environmentID) in \(run.url.path): \(config.workers) workers, "
                    + "\(trainer.model.architecture.rawValue) network (\(formatCount(trainer.model.parameterCount)) parameters), "
                    + "seed \(config.seed), target \(trainer.targetReturn.map { formatNumber($0) } ?? "none"), "
                    + "budget \(formatCount(config.totalSteps)) steps"
                    + (resuming ? ", from step \(formatCount(trainer.progress.steps))" : ""))
        }

        var nextCheckpoint = (trainer.progress.steps / checkpointEvery + 1) * checkpointEvery
        var bestWritten = trainer.bestMeanReturn100 ?? -Double.infinity
        var lastLog = (steps: trainer.progress.steps, seconds: trainer.progress.elapsedSeconds)
        var failure: (any Error)?
        func checkpoint(_ url: URL) {
            do {
                try Checkpoint.write(
                    trainer.snapshot(), config: config, model: trainer.model, packageVersion: PackageVersion.current, to: url)
            } catch {
                failure = failure ?? error
                trainer.requestStop()
            }
        }

        let outcome = Result { try trainer.run(monitorInterval: 0.25) { trainer in
            if interrupt.received != nil { trainer.requestStop() }
            let now = trainer.progress
            do {
                try logger.log(episodes: trainer.drainEpisodes(), startWallClock: startWallClock)
                if now.elapsedSeconds - lastLog.seconds >= logEvery {
                    let rate = Double(now.steps - lastLog.steps) / max(now.elapsedSeconds - lastLog.seconds, 1e-9)
                    try logger.log(
                        updates: trainer.drainUpdateStatistics(), step: now.steps, wallSeconds: now.elapsedSeconds,
                        learningRate: trainer.learningRate, stepsPerSecond: rate, meanReturn100: now.meanReturn100)
                    try logger.flush()
                    lastLog = (now.steps, now.elapsedSeconds)
                }
            } catch {
                failure = failure ?? error
                trainer.requestStop()
            }
            if now.steps >= nextCheckpoint {
                checkpoint(run.latestCheckpointURL)
                nextCheckpoint = (now.steps / checkpointEvery + 1) * checkpointEvery
            }
            if let best = trainer.bestMeanReturn100, best > bestWritten {
                checkpoint(run.bestCheckpointURL)
                bestWritten = best
            }
            progress.update(now)
        } }
        progress.finish()
        // The workers have stopped: this checkpoint is exact, whatever ended the run (a dead
        // environment host included, so nothing learned is lost).
        checkpoint(run.latestCheckpointURL)
        try logger.flush()
        let summary = try outcome.get()
        if let failure { throw failure }

        var final = summary
        if let signal = interrupt.received {
            final.stopReason = "interrupted (\(signal))"
        }
        let json = try JSONFiles.encode(final)
        try AtomicFile.write(json, to: run.summaryURL)
        if let summaryJSON { try AtomicFile.write(json, to: URL(fileURLWithPath: summaryJSON)) }

        print(
            "\(final.solved ? "solved" : "not solved"): \(final.env) mean100 "
                + "\(final.meanReturn100.map { formatNumber($0, decimals: 1) } ?? "-") after "
                + "\(formatCount(final.steps)) steps, \(formatCount(final.episodes)) episodes, "
                + "\(formatNumber(final.wallSeconds)) s (\(formatCount(Int(final.stepsPerSecond))) steps/s); "
                + "stopped: \(final.stopReason)")
        if interrupt.received != nil {
            print("checkpoint: \(run.latestCheckpointURL.path); continue with: a3c train --resume \(run.url.path)")
        }
    }
}

extension OptimizerKind: ExpressibleByArgument {}
extension NetworkArchitecture: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
