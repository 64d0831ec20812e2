import ActorCritic
import ArgumentParser
import Environments
import Foundation
import RunArtifacts

/// `a3c record`: a GIF (or, with ffmpeg, an MP4) of a trained agent playing.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "Record a trained agent playing, as a GIF (or MP4 where ffmpeg is installed).")

    /// One game unless told otherwise.
    enum Games: PlayDefaults {
        static let episodes = 1
        static let episodesHelp = "Games to record."
    }

    @OptionGroup var play: PlayOptions<Games>

    @Option(name: .long, help: "Output file: .gif, or .mp4 (needs ffmpeg).")
    var out: String

    @Option(name: .long, help: "Frames per second of the video.")
    var fps = 30.0

    @Option(name: .customLong("max-frames"), help: "Stop recording after this many frames.")
    var maxFrames = 5000

    func validate() throws {
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        guard ext == "gif" || ext == "mp4" else { throw ValidationError("--out must end in .gif or .mp4, got '\(out)'") }
        guard fps > 0 && fps <= 100 else { throw ValidationError("--fps must be in (0, 100]") }
        guard maxFrames >= 1 else { throw ValidationError("--max-frames must be at least 1") }
    }

    func run() throws {
        let (episodes, greedy, seed) = (play.episodes, play.greedy, play.seed)
        let loaded = try LoadedCheckpoint(path: play.checkpoint)
        let environment = try loaded.environment.make()
        defer { environment.close() }
        let url = URL(fileURLWithPath: out)
        // Frames are encoded as they come: a long game never sits in memory.
        var sink: (any FrameSink)?
        var frameCount = 0
        var size = (0, 0)
        var failure: (any Error)?
        let result = try Evaluator.evaluate(
            policy: loaded.makePolicy(), environment: environment, episodes: episodes, greedy: greedy, seed: seed
        ) { frame in
            guard frameCount < maxFrames, failure == nil else { return }
            do {
                if sink == nil {
                    size = (frame.width, frame.height)
                    sink = url.pathExtension.lowercased() == "gif"
                        ? GIFFileSink(url: url, width: frame.width, height: frame.height, framesPerSecond: fps)
                        : try MP4Sink(url: url, width: frame.width, height: frame.height, framesPerSecond: fps)
                }
                try sink?.add(frame)
                frameCount += 1
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        guard let sink else {
            throw ValidationError("\(loaded.contents.config.environmentID) cannot draw itself: nothing to record")
        }
        try sink.finish()
        print(
            "recorded \(frameCount) frames (\(size.0)x\(size.1)) of \(episodes) game\(episodes == 1 ? "" : "s"), "
                + "score\(episodes == 1 ? "" : "s") \(result.scores.map { formatNumber($0) }.joined(separator: ", ")), to \(out)")
    }
}
