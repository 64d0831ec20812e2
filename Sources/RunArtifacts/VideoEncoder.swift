import Environments
import Foundation

/// Somewhere frames go, one at a time; `finish` completes the file (atomically).
public protocol FrameSink {
    mutating func add(_ frame: RGBFrame) throws
    func finish() throws
}

/// An animated GIF file.
public final class GIFFileSink: FrameSink {
    private var encoder: GIFEncoder
    private let url: URL

    /// A GIF of `width` x `height` frames for `url`; nothing is written until `finish`.
    public init(url: URL, width: Int, height: Int, framesPerSecond: Double) {
        self.url = url
        encoder = GIFEncoder(width: width, height: height, framesPerSecond: framesPerSecond)
    }

    /// Encodes one frame (of the sink's size) in memory.
    public func add(_ frame: RGBFrame) throws { encoder.add(frame) }

    /// Writes the whole GIF to the file atomically.
    public func finish() throws { try AtomicFile.write(encoder.finish(), to: url) }
}

/// An MP4 file made by ffmpeg (H.264, yuv420p), fed raw RGB frames on its standard input.
public final class MP4Sink: FrameSink {
    private let url: URL
    private let temporary: URL
    private let process = Process()
    private let input = Pipe()

    /// Starts ffmpeg; a clear error when it is not installed.
    public init(url: URL, width: Int, height: Int, framesPerSecond: Double) throws {
        guard let ffmpeg = Self.findExecutable("ffmpeg") else {
            throw ArtifactError("writing .mp4 needs ffmpeg (apt-get install ffmpeg); .gif needs nothing")
        }
        self.url = url
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid()).mp4")
        // Even sides for yuv420p.
        let evenWidth = width - width % 2, evenHeight = height - height % 2
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = [
            "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)",
            "-r", "\(framesPerSecond)", "-i", "-", "-vf", "crop=\(evenWidth):\(evenHeight):0:0", "-pix_fmt", "yuv420p",
            "-c:v", "libx264", temporary.path,
        ]
        process.standardInput = input
        try process.run()
    }

    /// Sends the frame's raw RGB bytes to ffmpeg.
    public func add(_ frame: RGBFrame) throws {
        try input.fileHandleForWriting.write(contentsOf: Data(frame.pixels))
    }

    /// Waits for ffmpeg and moves the finished video into place, replacing any file there.
    public func finish() throws {
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ArtifactError("ffmpeg failed with status \(process.terminationStatus)")
        }
        if FileManager.default.fileExists(atPath: url.path) {
            _ = try FileManager.default.replaceItemAt(url, withItemAt: temporary)
        } else {
            try FileManager.default.moveItem(at: temporary, to: url)
        }
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
