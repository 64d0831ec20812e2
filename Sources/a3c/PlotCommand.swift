import ArgumentParser
import Foundation
import RunArtifacts

/// `a3c plot`: the learning curve of a run, as SVG or PNG.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a run's learning curve: episode returns and their moving average, against steps and wall time.")

    @Argument(help: "The run directory.")
    var runDirectory: String

    @Option(name: .long, help: "Output image: .svg, or .png (drawn from the SVG by rsvg-convert, from librsvg2-bin).")
    var out: String

    @Option(name: .long, help: "Episodes in the moving average.")
    var window = 100

    func validate() throws {
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        guard ext == "svg" || ext == "png" else { throw ValidationError("--out must end in .svg or .png, got '\(out)'") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
    }

    func run() throws {
        let directory = RunDirectory(url: URL(fileURLWithPath: runDirectory))
        let curve = try LearningCurve(run: directory)
        guard !curve.returns.isEmpty else { throw ValidationError("\(runDirectory) has no finished episodes to plot") }
        let environment = (try? directory.readConfig().config.environmentID) ?? directory.url.lastPathComponent
        let svg = LearningCurvePlot.svg(
            curve, title: "\(environment): \(formatCount(curve.returns.count)) episodes, \(directory.url.lastPathComponent)",
            window: window)
        let url = URL(fileURLWithPath: out)
        if url.pathExtension.lowercased() == "svg" {
            try AtomicFile.write(Data(svg.utf8), to: url)
        } else {
            try SVGRasterizer.writePNG(svg: svg, to: url)
        }
        print("plotted \(formatCount(curve.returns.count)) episodes to \(out)")
    }
}
