import ActorCritic
import Foundation

/// Writes a run's metrics twice: rows in `metrics.csv` and scalars in TensorBoard event files.
///
/// `metrics.csv` has one row per finished episode (`kind` = episode: global step, wall time, worker,
/// return, length) and one row per logging interval summarising the updates in it (`kind` = update:
/// the figures of `UpdateStatistics.metrics`, each in its own column: mean losses, entropy, largest
/// action probability (or, for a Gaussian policy, mean σ in `action_std`), gradient norm and the
/// share of updates clipped, the value function's explained variance, the share of dead ReLU/ELU
/// units; with the learning rate, steps/s, and the updates dropped for a NaN or infinite
/// gradient), one row per environment host a worker had to replace (`kind` = host_restart), and
/// one row per evaluation during training (`kind` = eval: games, mean, std, min and max score,
/// mean length). A row leaves the columns it has nothing for empty.
/// Not thread-safe: the trainer's monitor thread owns it.
public final class RunLogger {
    /// The columns of `metrics.csv`, in order. New columns go at the end, so that an older run's
    /// file can be upgraded by padding its rows (`upgradeHeader`).
    public static let csvHeader = [
        "kind", "global_step", "wall_seconds", "worker", "episode_return", "episode_length", "updates",
        "policy_loss", "value_loss", "entropy", "max_probability", "gradient_norm", "learning_rate",
        "steps_per_second", "mean_return_100", "eval_episodes", "eval_mean_return", "eval_std_return",
        "eval_min_return", "eval_max_return", "eval_mean_length", "skipped_updates", "action_std",
        "explained_variance", "dead_unit_fraction", "clipped_update_fraction", "clip_fraction", "approx_kl",
    ]
    private static let headerLine = csvHeader.joined(separator: ",")
    private static let columnIndex = Dictionary(uniqueKeysWithValues: csvHeader.enumerated().map { ($1, $0) })

    private let csv: FileHandle
    private let metricsURL: URL
    private let tensorBoard: TensorBoardWriter
    private var pending = ""

    /// Opens (or, resuming, appends to) the run's metrics and starts a new event file; a resumed
    /// run gives its checkpoint's step, where the event file starts the session anew.
    public init(run: RunDirectory, resumingAt step: Int? = nil) throws {
        let path = run.metricsURL.path
        let isNew = !FileManager.default.fileExists(atPath: path)
        if isNew {
            guard FileManager.default.createFile(atPath: path, contents: Data((Self.headerLine + "\n").utf8))
            else { throw ArtifactError("cannot create \(path)") }
        } else {
            try Self.upgradeHeader(of: run.metricsURL)
        }
        do {
            csv = try FileHandle(forWritingTo: run.metricsURL)
            try csv.seekToEnd()
        } catch {
            throw ArtifactError("open", run.metricsURL, error)
        }
        metricsURL = run.metricsURL
        tensorBoard = try TensorBoardWriter(directory: run.url, restartingAt: step)
    }

    deinit { try? csv.close() }

    /// Appends one row of `kind` with `fields` (column: text) in their columns, the others empty.
    private func appendRow(_ kind: String, _ fields: [(String, String)]) {
        var row = [String](repeating: "", count: Self.csvHeader.count)
        row[0] = kind
        for (column, text) in fields {
            guard let index = Self.columnIndex[column] else { preconditionFailure("no metrics.csv column \(column)") }
            row[index] = text
        }
        pending += row.joined(separator: ",") + "\n"
    }

    /// One row and three scalars per episode.
    public func log(episodes: [EpisodeRecord], startWallClock: Double) throws {
        for e in episodes {
            appendRow("episode", [
                ("global_step", "\(e.globalStep)"), ("wall_seconds", format(e.wallSeconds)), ("worker", "\(e.worker)"),
                ("episode_return", format(e.episodeReturn)), ("episode_length", "\(e.length)"),
            ])
            try tensorBoard.addScalars(
                [("episode/return", e.episodeReturn), ("episode/length", Double(e.length))],
                step: e.globalStep, wallTime: startWallClock + e.wallSeconds)
        }
    }

    /// One row and a set of scalars for the updates of the last interval.
    public func log(
        updates s: UpdateStatistics, step: Int, wallSeconds: Double, learningRate: Float, stepsPerSecond: Double,
        meanReturn100: Double?
    ) throws {
        var scalars: [(tag: String, value: Double)] = [
            ("train/learning_rate", Double(learningRate)), ("train/steps_per_second", stepsPerSecond),
            ("train/skipped_updates", Double(s.skippedUpdates)),
        ]
        if let meanReturn100 { scalars.append(("episode/mean_return_100", meanReturn100)) }
        var fields = [
            ("global_step", "\(step)"), ("wall_seconds", format(wallSeconds)), ("updates", "\(s.updates)"),
            ("learning_rate", format(Double(learningRate))), ("steps_per_second", format(stepsPerSecond)),
            ("mean_return_100", meanReturn100.map(format) ?? ""), ("skipped_updates", "\(s.skippedUpdates)"),
        ]
        for (metric, value) in s.metrics {
            scalars.append((metric.tag, value))
            fields.append((metric.column, format(value)))
        }
        try tensorBoard.addScalars(scalars, step: step)
        appendRow("update", fields)
    }

    /// One row per environment host a worker replaced (`kind` = host_restart: step, wall time, worker).
    public func log(hostRestart r: HostRestart) throws {
        appendRow("host_restart", [("global_step", "\(r.globalStep)"), ("wall_seconds", format(r.wallSeconds)), ("worker", "\(r.worker)")])
    }

    /// One row and scalars per evaluation during training.
    public func log(evaluation e: EvaluationRecord, startWallClock: Double) throws {
        let r = e.result
        let meanLength = Double(r.lengths.reduce(0, +)) / Double(max(r.lengths.count, 1))
        try tensorBoard.addScalars(
            [("eval/mean_return", r.mean), ("eval/std_return", r.standardDeviation), ("eval/mean_length", meanLength)],
            step: e.globalStep, wallTime: startWallClock + e.wallSeconds)
        appendRow("eval", [
            ("global_step", "\(e.globalStep)"), ("wall_seconds", format(e.wallSeconds)), ("eval_episodes", "\(r.scores.count)"),
            ("eval_mean_return", format(r.mean)), ("eval_std_return", format(r.standardDeviation)), ("eval_min_return", format(r.min)),
            ("eval_max_return", format(r.max)), ("eval_mean_length", format(meanLength)),
        ])
    }

    /// A run written before the evaluation, skipped-update or action-σ columns existed (its header a prefix of
    /// today's) gets the current header, and its complete rows empty fields for them, so that every row has as many
    /// fields as the header. Any other header is left alone.
    private static func upgradeHeader(of url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let end = text.firstIndex(of: "\n"), text[..<end] != headerLine, headerLine.hasPrefix(text[..<end] + ",")
        else { return }
        let missing = String(repeating: ",", count: csvHeader.count - text[..<end].split(separator: ",").count)
        var upgraded = headerLine + "\n"
        // A last line without its newline was cut short by a crash: dropped, not padded.
        for line in text[text.index(after: end)...].split(separator: "\n", omittingEmptySubsequences: true)
        where text.hasSuffix("\n") || line.endIndex != text.endIndex {
            upgraded += line + missing + "\n"
        }
        try AtomicFile.write(Data(upgraded.utf8), to: url)
    }

    /// The best evaluation mean in `run`'s metrics.csv, if it has evaluation rows (a resumed run
    /// keeps its best-evaluated checkpoint unless a later evaluation beats it).
    public static func bestEvaluationMean(in run: RunDirectory) -> Double? {
        guard let text = try? String(contentsOf: run.metricsURL, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false),
            let column = header.firstIndex(of: "eval_mean_return")
        else { return nil }
        return lines.dropFirst().compactMap { line -> Double? in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.first == "eval", fields.count > column else { return nil }
            return Double(fields[column])
        }.max()
    }

    /// Writes buffered rows and events to disk; `durably`, synced as well (before a checkpoint, so
    /// that no checkpoint is ahead of its logs).
    public func flush(durably: Bool = false) throws {
        do {
            if !pending.isEmpty {
                try csv.write(contentsOf: Data(pending.utf8))
                pending.removeAll(keepingCapacity: true)
            }
            if durably { try csv.synchronize() }
        } catch {
            throw ArtifactError("write", metricsURL, error)
        }
        try tensorBoard.flush()
    }

    /// Drops the rows of `run`'s metrics.csv past `step` (a resumed run's checkpoint: they will be
    /// logged again), and a last row cut short; returns how many rows went.
    public static func cutMetrics(of run: RunDirectory, after step: Int) throws -> Int {
        guard let text = try? String(contentsOf: run.metricsURL, encoding: .utf8), let end = text.firstIndex(of: "\n") else { return 0 }
        let header = text[..<end].split(separator: ",", omittingEmptySubsequences: false)
        guard let column = header.firstIndex(of: "global_step") else { return 0 }
        var kept = String(text[...end]), dropped = 0
        for line in text[text.index(after: end)...].split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let whole = fields.count == header.count && (line.endIndex != text.endIndex || text.hasSuffix("\n"))
            if whole, let rowStep = Int(fields[column]), rowStep <= step {
                kept += line + "\n"
            } else {
                dropped += 1
            }
        }
        if dropped > 0 { try AtomicFile.write(Data(kept.utf8), to: run.metricsURL) }
        return dropped
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.6g", value)
    }
}
