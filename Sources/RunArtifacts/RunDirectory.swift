import ActorCritic
import Foundation

/// The folder a training run writes: `config.json`, `metrics.csv`, TensorBoard event files,
/// `checkpoints/latest.safetensors` and `checkpoints/best.safetensors`, `summary.json`.
public struct RunDirectory: Sendable {
    /// The run's folder.
    public let url: URL

    /// The run folder at `url`; nothing is created until `create()`.
    public init(url: URL) { self.url = url }

    /// `runs/<env>-<yyyyMMdd-HHmmss>`, with `/` in the id replaced (ALE/Pong-v5 -> ALE_Pong-v5).
    public static func defaultURL(environmentID: String, date: Date = Date()) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let name = environmentID.replacingOccurrences(of: "/", with: "_") + "-" + formatter.string(from: date)
        return URL(fileURLWithPath: "runs").appendingPathComponent(name)
    }

    /// `config.json`: the configuration and what the run was started with.
    public var configURL: URL { url.appendingPathComponent("config.json") }
    /// `metrics.csv`: one row per episode, logging interval, evaluation and host restart.
    public var metricsURL: URL { url.appendingPathComponent("metrics.csv") }
    /// `summary.json`: the `TrainingSummary` of the last session.
    public var summaryURL: URL { url.appendingPathComponent("summary.json") }
    /// The `checkpoints` folder.
    public var checkpointsURL: URL { url.appendingPathComponent("checkpoints") }
    /// The most recent checkpoint, to resume from.
    public var latestCheckpointURL: URL { checkpointsURL.appendingPathComponent("latest.safetensors") }
    /// The checkpoint with the best score so far (evaluation mean, else 100-episode mean).
    public var bestCheckpointURL: URL { checkpointsURL.appendingPathComponent("best.safetensors") }

    /// Creates the folders for a new run; refuses a folder that already holds a run.
    public func create() throws {
        if FileManager.default.fileExists(atPath: configURL.path) {
            throw ArtifactError("\(url.path) already holds a run; use --resume \(url.path) to continue it, or another --out")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ArtifactError("\(url.path) is a file; --out names the directory a run is written to")
        }
        do {
            try FileManager.default.createDirectory(at: checkpointsURL, withIntermediateDirectories: true)
        } catch {
            // A file on the way there is the likely cause.
            var parent = url.deletingLastPathComponent()
            while parent.path != "/" {
                if FileManager.default.fileExists(atPath: parent.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    throw ArtifactError("cannot create \(url.path): \(parent.path) is a file, not a directory")
                }
                parent = parent.deletingLastPathComponent()
            }
            throw ArtifactError("create", url, error)
        }
    }

    /// What `config.json` holds.
    public struct ConfigFile: Codable, Sendable {
        /// The swift-a3c version that started the run.
        public var packageVersion: String
        /// When the run was started, as an ISO 8601 date and time.
        public var created: String
        /// The target in force (the config's, else the environment's reward threshold).
        public var resolvedTargetReturn: Double?
        /// The precision the products run in, with auto resolved on the machine that wrote the file.
        public var resolvedPrecision: String?
        /// Number of network parameters.
        public var parameterCount: Int
        /// The full training configuration.
        public var config: TrainingConfig

        /// The contents of `config.json`.
        public init(
            packageVersion: String, created: String, resolvedTargetReturn: Double?, resolvedPrecision: String? = nil,
            parameterCount: Int, config: TrainingConfig
        ) {
            self.packageVersion = packageVersion
            self.created = created
            self.resolvedTargetReturn = resolvedTargetReturn
            self.resolvedPrecision = resolvedPrecision
            self.parameterCount = parameterCount
            self.config = config
        }

        enum CodingKeys: String, CodingKey {
            case packageVersion = "package_version"
            case created
            case resolvedTargetReturn = "resolved_target_return"
            case resolvedPrecision = "resolved_precision"
            case parameterCount = "parameter_count"
            case config
        }
    }

    /// Writes `config.json` (atomically).
    public func writeConfig(_ file: ConfigFile) throws {
        try AtomicFile.write(try JSONFiles.encode(file), to: configURL)
    }

    /// Reads `config.json` of an existing run.
    public func readConfig() throws -> ConfigFile {
        guard let data = try? Data(contentsOf: configURL) else {
            throw ArtifactError("\(url.path) is not a run directory: no readable config.json")
        }
        var file: ConfigFile
        do {
            file = try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch {
            throw ArtifactError("\(configURL.path) is not a valid run config")
        }
        // Up to 0.1.0, normalize-advantages was PPO's alone and every run wrote it as true.
        if file.packageVersion == "0.1.0" && file.config.algorithm != .ppo { file.config.normalizeAdvantages = false }
        return file
    }

    /// The checkpoint to continue from: `checkpoints/latest.safetensors`.
    public func latestCheckpoint() throws -> URL {
        guard FileManager.default.fileExists(atPath: latestCheckpointURL.path) else {
            throw ArtifactError("\(url.path) has no checkpoint to resume from (\(latestCheckpointURL.path) is missing)")
        }
        return latestCheckpointURL
    }
}
