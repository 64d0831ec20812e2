import ActorCritic
import ArgumentParser
import Environments
import Foundation
import RunArtifacts

/// A checkpoint named on the command line: a `.safetensors` file, or a run directory (its latest checkpoint).
struct LoadedCheckpoint {
    let url: URL
    let contents: Checkpoint.Contents
    let model: ActorCriticModel
    let environment: EnvironmentSpec

    init(path: String) throws {
        var url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = try RunDirectory(url: url).latestCheckpoint()
        }
        self.url = url
        contents = try Checkpoint.read(url)
        let config = contents.config
        environment = try EnvironmentRegistry.spec(config.environmentID, options: config.environmentOptions)
        let probe = try environment.make()
        defer { probe.close() }
        model = try ActorCriticModel(config: config, environment: probe)
        try contents.verifyShapes(match: model)
    }

    func makePolicy() -> Policy {
        Policy(model: model, parameters: contents.state.parameters, observationStatistics: contents.state.observationStatistics)
    }
}

/// What `a3c eval` and `a3c record` differ in among their shared options.
protocol PlayDefaults {
    static var episodes: Int { get }
    static var episodesHelp: String { get }
}

/// The options `a3c eval` and `a3c record` share: which agent plays, how many games, how.
struct PlayOptions<Defaults: PlayDefaults>: ParsableArguments {
    @Argument(help: "A checkpoint (.safetensors) or a run directory (its latest checkpoint).")
    var checkpoint: String

    @Option(name: .long, help: ArgumentHelp(Defaults.episodesHelp))
    var episodes = Defaults.episodes

    @Flag(name: .long, help: "Take the most likely action instead of sampling from the policy.")
    var greedy = false

    @Option(name: .long, help: "Seed of the environment and of action sampling.")
    var seed: UInt64 = 12345

    func validate() throws {
        guard episodes >= 1 && episodes <= 1_000_000 else { throw ValidationError("--episodes must be at least 1, got \(episodes)") }
    }
}

/// `a3c eval`: plays games with a trained agent and prints statistics of the real score.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Play games with a trained agent; print mean, std, min and max of the score.")

    /// Ten games unless told otherwise.
    enum Games: PlayDefaults {
        static let episodes = 10
        static let episodesHelp = "Games to play."
    }

    @OptionGroup var play: PlayOptions<Games>

    @Option(name: .long, help: "Also write the scores as JSON to this file.")
    var json: String?

    func run() throws {
        let (episodes, greedy, seed) = (play.episodes, play.greedy, play.seed)
        let loaded = try LoadedCheckpoint(path: play.checkpoint)
        let environment = try loaded.environment.make()
        defer { environment.close() }
        let result = try Evaluator.evaluate(
            policy: loaded.makePolicy(), environment: environment, episodes: episodes, greedy: greedy, seed: seed)
        print(
            "\(loaded.contents.config.environmentID), \(episodes) episode\(episodes == 1 ? "" : "s") "
                + "(\(greedy ? "greedy" : "sampled") actions, checkpoint at step \(formatCount(loaded.contents.state.steps))): "
                + "mean \(formatNumber(result.mean)), std \(formatNumber(result.standardDeviation)), "
                + "min \(formatNumber(result.min)), max \(formatNumber(result.max))")
        if let json {
            try AtomicFile.write(try JSONFiles.encode(result), to: URL(fileURLWithPath: json))
        }
    }
}
