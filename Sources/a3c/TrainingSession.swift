import ActorCritic
import Foundation
import RunArtifacts

/// One `a3c train` run once its trainer and directory are ready: logs metrics, writes checkpoints
/// (periodic, best, and the final exact one), shows progress, handles Ctrl-C and writes the summary.
struct TrainingSession {
    let trainer: Trainer
    let directory: RunDirectory
    /// Continuing from a checkpoint (changes only the messages).
    let resuming: Bool
    let options: RunOptions

    /// "2 workers", or for a distributed run "3 ranks (1 worker on rank 0, 1 on each other rank)".
    private var workersDescription: String {
        let workers = trainer.config.workers
        guard case .server(let job, let serverWorkers) = trainer.role else { return "\(workers) workers" }
        return "\(job.size) ranks (\(serverWorkers) worker\(serverWorkers == 1 ? "" : "s") on rank 0, \(workers) on each other rank)"
    }

    /// Checkpoint, logs and summary as they are, and exit 0: a distributed run ended by a signal.
    fileprivate func finishDistributedRunNow(signal: String, logger: RunLogger) -> Never {
        var summary = trainer.summary()
        summary.stopReason = "interrupted (\(signal))"
        do {
            try logger.flush(durably: true)
            try writeCheckpoint(trainer.snapshot(), to: directory.latestCheckpointURL)
            try writeSummary(summary)
        } catch {
            FileHandle.standardError.write(Data("a3c: error: \(error)\n".utf8))
            exit(1)
        }
        print(resumeHint)
        fflush(nil)
        // Not exit(): the workers and MPI's threads still run, and tearing the process down under
        // them crashes; mpirun ends the other ranks.
        _exit(0)
    }

    /// The checkpoint of `state` at `url`, with this run's config and model.
    fileprivate func writeCheckpoint(_ state: TrainingState, to url: URL) throws {
        try Checkpoint.write(state, config: trainer.config, model: trainer.model, packageVersion: PackageVersion.current, to: url)
    }

    /// summary.json, and the --summary-json copy.
    private func writeSummary(_ summary: TrainingSummary) throws {
        let json = try JSONFiles.encode(summary)
        try AtomicFile.write(json, to: directory.summaryURL)
        if let summaryJSON = options.summaryJSON { try AtomicFile.write(json, to: URL(fileURLWithPath: summaryJSON)) }
    }

    /// Where the checkpoint is and how to go on from it.
    private var resumeHint: String {
        let ranks = if case .server(let job, _) = trainer.role { " --ranks \(job.size) (with its --hostfile if it had one; without --ranks, in one process)" } else { "" }
        return "checkpoint: \(directory.latestCheckpointURL.path); continue with: a3c train --resume \(directory.url.path)\(ranks)"
    }

    func run() throws {
        // Rows past the checkpoint (written before a crash) would come twice.
        let cut = resuming ? try RunLogger.cutMetrics(of: directory, after: trainer.progress.steps) : 0
        let logger = try RunLogger(run: directory, resumingAt: resuming ? trainer.progress.steps : nil)
        let interrupt = InterruptHandler(distributed: trainer.role != nil)
        defer { interrupt.restore() }
        let progress = ProgressDisplay(enabled: !options.quiet, totalSteps: trainer.config.totalSteps)
        if !options.quiet { announce(on: progress, metricsRowsCut: cut) }
        let monitor = RunMonitor(session: self, logger: logger, progress: progress, interrupt: interrupt)
        // A distributed rank 0 has a second from mpirun's SIGTERM to its SIGKILL: it looks often.
        let outcome = Result { try trainer.run(monitorInterval: trainer.role == nil ? 0.25 : 0.05) { monitor.look(at: $0) } }
        progress.finish()
        // The workers have stopped: this checkpoint is exact, whatever ended the run (a dead
        // environment host included, so nothing learned is lost).
        monitor.checkpoint(directory.latestCheckpointURL)
        try logger.flush()
        var summary = try outcome.get()
        if let failure = monitor.failure { throw failure }
        if let signal = interrupt.received { summary.stopReason = "interrupted (\(signal))" }
        try writeSummary(summary)
        print(
            "\(summary.solved ? "solved" : summary.targetReturn == nil ? "finished" : "not solved"): \(summary.env) mean100 "
                + "\(summary.meanReturn100.map { formatNumber($0, decimals: 1) } ?? "-") after "
                + "\(formatCount(summary.steps)) steps, \(formatCount(summary.episodes)) episodes, "
                + "\(formatNumber(summary.wallSeconds)) s (\(formatCount(Int(summary.stepsPerSecond))) steps/s); "
                + "stopped: \(summary.stopReason)")
        if interrupt.received != nil { print(resumeHint) }
    }

    /// The run's first line: what trains where, with what, for how long.
    private func announce(on progress: ProgressDisplay, metricsRowsCut cut: Int) {
        let config = trainer.config
        let verb = resuming ? "resuming" : "training"
        progress.message(
            "a3c: \(verb) \(config.environmentID) in \(directory.url.path): \(workersDescription), "
                + "\(trainer.model.architecture.rawValue) network (\(formatCount(trainer.model.parameterCount)) parameters), "
                + "seed \(config.seed), target \(trainer.targetReturn.map { formatNumber($0) } ?? "none"), "
                + "budget \(formatCount(config.totalSteps)) steps"
                + (resuming ? ", from step \(formatCount(trainer.progress.steps))" : "")
                + (trainer.environmentHost.map { ", games stepped by \($0)" } ?? "")
                + (config.resolvedPrecision == .bf16 ? ", matrix products in bf16" : ""))
        if cut > 0 {
            progress.message("a3c: metrics.csv cut back to the checkpoint's step: \(cut) later row\(cut == 1 ? "" : "s") dropped")
        }
    }
}

/// What a running session does each time the trainer lets it look (`Trainer.run`'s monitor, on the
/// calling thread only): logs episodes, host restarts, evaluations and update statistics; writes the
/// periodic and best checkpoints; answers signals; shows progress. The first error it meets stops
/// the run and is kept in `failure`.
private final class RunMonitor {
    let session: TrainingSession
    let logger: RunLogger
    let progress: ProgressDisplay
    let interrupt: InterruptHandler
    let startWallClock: Double
    /// With evaluations on, best.safetensors holds the best-evaluated parameters; otherwise those in
    /// force at the best 100-episode training mean.
    let evaluating: Bool
    var bestWritten: Double
    var nextCheckpoint: Int
    var lastLog: (steps: Int, seconds: Double)
    private(set) var failure: (any Error)?

    init(session: TrainingSession, logger: RunLogger, progress: ProgressDisplay, interrupt: InterruptHandler) {
        self.session = session
        self.logger = logger
        self.progress = progress
        self.interrupt = interrupt
        let trainer = session.trainer
        startWallClock = Date().timeIntervalSince1970 - trainer.progress.elapsedSeconds
        evaluating = trainer.config.evalEvery != nil
        bestWritten = (evaluating ? RunLogger.bestEvaluationMean(in: session.directory) : trainer.bestMeanReturn100) ?? -Double.infinity
        let every = session.options.checkpointEvery
        nextCheckpoint = (trainer.progress.steps / every + 1) * every
        lastLog = (trainer.progress.steps, trainer.progress.elapsedSeconds)
    }

    /// The logs, then `state` (by default the trainer's now) as the checkpoint at `url`.
    func checkpoint(_ url: URL, state: TrainingState? = nil) {
        do {
            // The logs reach the disk first: a run killed after the checkpoint's rename has its rows.
            try logger.log(episodes: session.trainer.drainEpisodes(), startWallClock: startWallClock)
            try logger.flush(durably: true)
            try session.writeCheckpoint(state ?? session.trainer.snapshot(), to: url)
        } catch {
            fail(error)
        }
    }

    func look(at trainer: Trainer) {
        if let signal = interrupt.received {
            // mpirun signals every rank and kills them a second later: rank 0 saves the run now, and
            // ends without waiting for the other ranks' workers. A stop request (SIGUSR1) ends a
            // distributed run as its budget would, every rank finishing.
            if trainer.role != nil && !interrupt.receivedStopRequestOnly {
                session.finishDistributedRunNow(signal: signal, logger: logger)
            }
            trainer.requestStop()
        }
        let now = trainer.progress
        do {
            try logger.log(episodes: trainer.drainEpisodes(), startWallClock: startWallClock)
            try logHostRestarts(trainer)
            try logEvaluations(trainer)
            if now.elapsedSeconds - lastLog.seconds >= session.options.logEvery {
                let rate = Double(now.steps - lastLog.steps) / max(now.elapsedSeconds - lastLog.seconds, 1e-9)
                try logger.log(
                    updates: trainer.drainUpdateStatistics(), step: now.steps, wallSeconds: now.elapsedSeconds,
                    learningRate: trainer.learningRate, stepsPerSecond: rate, meanReturn100: now.meanReturn100)
                try logger.flush()
                lastLog = (now.steps, now.elapsedSeconds)
            }
        } catch {
            fail(error)
        }
        if now.steps >= nextCheckpoint {
            checkpoint(session.directory.latestCheckpointURL)
            let every = session.options.checkpointEvery
            nextCheckpoint = (now.steps / every + 1) * every
        }
        if !evaluating, let best = trainer.bestMeanReturn100, best > bestWritten {
            checkpoint(session.directory.bestCheckpointURL)
            bestWritten = best
        }
        progress.update(now)
    }

    private func logHostRestarts(_ trainer: Trainer) throws {
        for restart in trainer.drainHostRestarts() {
            try logger.log(hostRestart: restart)
            progress.clearLine()
            FileHandle.standardError.write(Data((
                "a3c: warning: worker \(restart.worker): \(restart.reason); started a new host "
                    + "(restart \(restart.restart) of \(restart.allowed); the games in progress start again)\n").utf8))
        }
    }

    /// Each evaluation's row and line; a better one than any before becomes best.safetensors.
    private func logEvaluations(_ trainer: Trainer) throws {
        for evaluation in trainer.drainEvaluations() {
            try logger.log(evaluation: evaluation, startWallClock: startWallClock)
            try logger.flush()
            if !session.options.quiet {
                progress.message(
                    "evaluation at step \(formatCount(evaluation.globalStep)): \(evaluation.result.scores.count) games, "
                        + "mean \(formatNumber(evaluation.result.mean)), std \(formatNumber(evaluation.result.standardDeviation))")
            }
            if evaluation.result.mean > bestWritten {
                checkpoint(session.directory.bestCheckpointURL, state: evaluation.state)
                bestWritten = evaluation.result.mean
            }
        }
    }

    private func fail(_ error: any Error) {
        failure = failure ?? error
        session.trainer.requestStop()
    }
}
