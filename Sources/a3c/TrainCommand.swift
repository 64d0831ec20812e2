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
        abstract: "Train an A3C agent (or a synchronous A2C or PPO one).",
        discussion: """
            Stops when the mean return of the last 100 training episodes reaches the target \
            (by default the environment's reward threshold: 475 for CartPole-v1) or when the step \
            budget is spent. The defaults below are for vector observations; Atari (ALE/...) and \
            ViZDoom ids start from the picture set-up instead: network paper, --envs-per-worker 8, \
            --t-max 5, --optimizer adam, --lr 0.0007, --lr-schedule constant, --steps 10000000; continuous-action \
            tasks (Pendulum-v1, MountainCarContinuous-v0) a Gaussian policy with --lr 0.001 --reward-scale 0.1; Box2D and \
            MuJoCo tasks (LunarLanderContinuous-v3, HalfCheetah-v5, ...) theirs, which the run's config.json lists; \
            --algo ppo brings PPO's (128-step rollouts, 4 epochs of 4 minibatches, GAE 0.95, --lr 0.00025 annealed, \
            --max-grad-norm 0.5, and for Atari network nature; see TrainingConfig.applyPPODefaults). Options given \
            here override those of --config; when resuming, they override the run's own config. \
            Ctrl-C (SIGINT) or SIGTERM stops the workers, writes a checkpoint and exits with status 0; \
            a second one more than 2 s later exits at once; SIGUSR1 stops the same way and never more. \
            With --ranks N, or under mpirun (or with --distributed), each rank is one process of a \
            distributed run: rank 0 owns the parameters and the run directory, every rank runs --workers \
            workers (rank 0: --server-workers). Ctrl-C to `a3c train --ranks` stops every rank so and \
            exits 0 (a second one ends the job through mpirun, rank 0 still checkpointing); by hand, \
            `kill -USR1` to mpirun does the same, which passes it on.
            """)

    @OptionGroup(title: "Environment") var environment: EnvironmentSetupOptions
    @OptionGroup(title: "Algorithm") var algorithm: AlgorithmOptions
    @OptionGroup(title: "Optimization") var optimization: OptimizationOptions
    @OptionGroup(title: "Network") var network: NetworkOptions
    @OptionGroup(title: "Evaluation during training") var evaluation: EvaluationOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    /// `base` with every option given on the command line applied.
    private func applyingOptions(to base: TrainingConfig) -> TrainingConfig {
        var config = base
        let groups: [any ConfigOptionGroup] = [environment, algorithm, optimization, network, evaluation]
        for group in groups { group.apply(to: &config) }
        return config
    }

    func run() throws {
        if let ranks = runOptions.ranks, ranks > 1 {
            return try MPILauncher(ranks: ranks, hostfile: runOptions.hostfile).run()
        }
        // Before anything slow: a stop request during set-up must not end the process.
        InterruptHandler.catchStopRequests(ignoring: (MPI.launchedRank ?? 0) > 0)
        guard let job = try distributedJob() else { return try runProcess(job: nil) }
        defer { MPI.finalize() }
        if job.rank > 0 {
            // This rank acts and learns for rank 0, which prints and writes everything; a signal
            // (mpirun passes Ctrl-C on as SIGTERM) ends it at once: rank 0 keeps the run.
            // It waits a little first: rank 0 is writing the checkpoint and may still be talking to
            // this rank.
            _ = InterruptHandler(
                handler: { _ in
                    MPI.terminating.store(true, ordering: .relaxed)
                    usleep(200_000)
                    _exit(0)
                }, ignoringStopRequests: true)
            do {
                guard let trainer = try Trainer.joining(job) else { throw ExitCode(1) }
                _ = try trainer.run()
            } catch let error as ExitCode {
                throw error
            } catch is TrainingError {
                // A worker's failure went to rank 0, which stops the run and says why.
                return
            } catch {
                // Only this rank knows (its environment could not be made here, say), and rank 0
                // has started without it: the job must end, which MPI_Abort makes mpirun do
                // (rank 0 then checkpoints on its SIGTERM).
                FileHandle.standardError.write(Data("a3c: rank \(job.rank): error: \(error)\n".utf8))
                MPI.abort(code: 1)
            }
            return
        }
        do {
            try runProcess(job: job)
        } catch {
            // Bad input found before the run started: the other ranks are waiting to hear.
            Trainer.refuseDistributedRun()
            throw error
        }
    }

    /// The MPI job this process is a rank of: with --distributed, or when mpirun started it with
    /// more than one rank; nil for a run in this process alone.
    private func distributedJob() throws -> MPI.Job? {
        guard runOptions.distributed || (MPI.launchedSize ?? 1) > 1 else {
            if runOptions.serverWorkers != nil {
                throw ValidationError("--server-workers applies to distributed runs (mpirun ... a3c train --distributed)")
            }
            return nil
        }
        let job = try MPI.initialize()
        if job.size == 1 {
            MPI.finalize()
            return nil
        }
        return job
    }

    /// Trains in this process; with `job`, as rank 0 of a distributed run.
    private func runProcess(job: MPI.Job?) throws {
        func role(_ config: TrainingConfig) -> DistributedRole? {
            job.map { .server($0, serverWorkers: runOptions.serverWorkers ?? config.workers) }
        }
        // Everything is checked before the run directory is touched: bad input leaves it as it was.
        let trainer: Trainer
        let run: RunDirectory
        let resuming = runOptions.resume != nil
        if let resume = runOptions.resume {
            run = RunDirectory(url: URL(fileURLWithPath: resume))
            let saved = try run.readConfig()
            let checkpoint = try Checkpoint.read(try run.latestCheckpoint())
            let config = applyingOptions(to: saved.config)
            try config.checkResumable(from: saved.config, runName: resume)
            let candidate = try Trainer(config: config, resumingFrom: checkpoint.state, role: role(config))
            try checkpoint.verifyShapes(match: candidate.model)
            trainer = candidate
            // Options given on resuming (a longer budget, say) hold for later resumes too; the
            // precision is this machine's.
            if config != saved.config || saved.resolvedPrecision != config.resolvedPrecision.rawValue {
                var updated = saved
                updated.config = config
                updated.resolvedTargetReturn = trainer.targetReturn
                updated.resolvedPrecision = config.resolvedPrecision.rawValue
                try run.writeConfig(updated)
            }
        } else {
            // Defaults for the environment (Atari and ViZDoom have their own), then the file, then options.
            var loaded: TrainingConfigFile.Loaded?
            if let config = runOptions.config { loaded = try TrainingConfigFile.load(URL(fileURLWithPath: config)) }
            let environmentID = environment.env?.parsed.environmentID ?? (loaded.flatMap { $0.keys.contains("env") ? $0.config.environmentID : nil })
                ?? TrainingConfig().environmentID
            // The recurrent picture networks bring their own frames and rollouts unless told otherwise.
            let chosenNetwork = network.network?.parsed.network
                ?? (loaded.flatMap { $0.keys.contains("network") ? $0.config.network : nil })
            // PPO brings its own rollouts, epochs and rate.
            let chosenAlgorithm = algorithm.algo?.parsed.algorithm
                ?? (loaded.flatMap { $0.keys.contains("algo") ? $0.config.algorithm : nil })
            var base = TrainingConfig.defaults(for: environmentID, network: chosenNetwork, algorithm: chosenAlgorithm)
            if let loaded { base = base.merging(loaded.config, keys: loaded.keys) }
            let seedFromFile = loaded?.keys.contains("seed") ?? false
            var resolved = applyingOptions(to: base)
            if algorithm.seed == nil && !seedFromFile { resolved.seed = UInt64.random(in: 1...999_999) }
            trainer = try Trainer(config: resolved, role: role(resolved))
            run = RunDirectory(url: runOptions.out.map { URL(fileURLWithPath: $0) } ?? Self.freshDefaultURL(for: resolved.environmentID))
            try run.create()
            try run.writeConfig(
                RunDirectory.ConfigFile(
                    packageVersion: PackageVersion.current, created: ISO8601DateFormatter().string(from: Date()),
                    resolvedTargetReturn: trainer.targetReturn, resolvedPrecision: trainer.config.resolvedPrecision.rawValue,
                    parameterCount: trainer.model.parameterCount,
                    config: trainer.config))
        }
        try TrainingSession(trainer: trainer, directory: run, resuming: resuming, options: runOptions).run()
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
}
