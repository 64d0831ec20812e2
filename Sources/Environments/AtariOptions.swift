/// The Atari preprocessing of the A3C paper and common variants of it, each part switchable.
public struct AtariOptions: Sendable, Hashable, Codable {
    /// Emulator frames per agent step; the observation is the maximum of the last two.
    public var frameSkip = 4
    /// A new game starts with 1 to this many single emulator frames of no-op (0: none), as
    /// Gymnasium's AtariPreprocessing does.
    public var noopMax = 30
    /// Side of the square observation: 84 (the paper), 42 or 80 (smaller set-ups), or any other.
    public var frameSize = 84
    /// Frames stacked as channels.
    public var frameStack = 4
    /// Pixels cut off the 210x160 screen before resizing (none by default; universe-starter-agent
    /// cuts the 34 rows of score above the court and 16 below it).
    public var crop = FramePipeline.Crop()
    /// Each frame less its most common grey level (see `FramePipeline.subtractBackground`); also for ViZDoom.
    public var subtractBackground = false
    /// Rewards for learning are clipped to [-1, 1] (logs keep the real score); also for other
    /// picture observations (ViZDoom), never for vector observations.
    public var clipRewards = true
    /// A lost life ends the training episode but not the game.
    public var episodicLife = true
    /// Press FIRE after reset (and after a lost life) in games that need it to start.
    public var fireReset = true
    /// Sticky actions: probability that the emulator repeats the previous action (0 or 0.25).
    public var repeatActionProbability = 0.0
    /// The program that steps the games: the native host (ALE in C++) or Gymnasium's AtariEnv in Python.
    public var host = AtariHost.auto

    /// The A3C paper's preprocessing, as the defaults above give it.
    public init() {}
}

/// Which program steps Atari games. Both play the same games step for step (same seeds, screens,
/// rewards, lives and episode ends); the native one has no Python between frames.
public enum AtariHost: String, Sendable, Hashable, Codable, CaseIterable {
    /// The native host where it is built and runs the id and its arguments, else the Python host
    /// (training through the native one is the faster, at less CPU per step: benchmarks/RESULTS.md).
    case auto
    /// `a3c-ale-host`: ALE's C++ library, built from the pinned ale-py source distribution.
    case native
    /// python/a3c_env_host.py on Gymnasium's AtariEnv.
    case python
}
