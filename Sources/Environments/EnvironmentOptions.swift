/// How environments from the bridge are made: the Atari preprocessing and, for picture
/// observations, the frame size, stack and crop. Native environments ignore them.
public struct EnvironmentOptions: Sendable, Hashable {
    public var atari = AtariOptions()
    /// Picture observations are resized to frameHeight x frameWidth (Atari: the square `atari.frameSize`).
    public var frameHeight = 84
    public var frameWidth = 84
    public var crop = FramePipeline.Crop()
    /// ViZDoom: game tics per agent step.
    public var doomFrameSkip = 4

    public init() {}
}
