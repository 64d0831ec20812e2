import Foundation

/// PNG from SVG through librsvg's `rsvg-convert` (Debian's librsvg2-bin, which scripts/setup.sh installs).
public enum SVGRasterizer {
    /// Draws `svg` on white as a PNG at `url` with rsvg-convert, replacing any file there.
    public static func writePNG(svg: String, to url: URL) throws {
        guard let converter = MP4Sink.findExecutable("rsvg-convert") else {
            throw ArtifactError("writing .png needs rsvg-convert (apt-get install librsvg2-bin); .svg needs nothing")
        }
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid()).png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: converter)
        process.arguments = ["--format", "png", "--background-color", "white", "--output", temporary.path]
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(svg.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ArtifactError("rsvg-convert could not draw the plot (status \(process.terminationStatus))")
        }
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
    }
}
