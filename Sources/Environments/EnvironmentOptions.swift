/// How environments from the bridge are made: the Atari preprocessing and, for picture
/// observations, the frame size, stack and crop. Native environments ignore them.
public struct EnvironmentOptions: Sendable, Hashable {
    /// Preprocessing of `ALE/` games; its frame stack and reward clipping also apply to other pictures.
    public var atari = AtariOptions()
    /// Picture observations are resized to frameHeight x frameWidth (Atari: the square `atari.frameSize`).
    public var frameHeight = 84
    /// Width picture observations are resized to, in pixels (see `frameHeight`).
    public var frameWidth = 84
    /// Pixels cut from each edge of non-Atari pictures (ViZDoom's screen) before resizing.
    public var crop = FramePipeline.Crop()
    /// ViZDoom: game tics per agent step.
    public var doomFrameSkip = 4

    /// The defaults: the paper's Atari preprocessing, 84x84 frames, no crop, 4 ViZDoom tics per step.
    public init() {}
}
