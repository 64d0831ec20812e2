import Foundation

/// The episodes of a run, read back from its `metrics.csv`.
public struct LearningCurve: Sendable {
    /// Global step at which each episode ended, in file order.
    public var steps: [Double] = []
    /// Seconds of training when each episode ended.
    public var wallSeconds: [Double] = []
    /// Each episode's return.
    public var returns: [Double] = []

    /// Reads the episode rows of `metrics.csv` in `run`.
    public init(run: RunDirectory) throws {
        guard let text = try? String(contentsOf: run.metricsURL, encoding: .utf8) else {
            throw ArtifactError("\(run.url.path) has no readable metrics.csv")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
            let kind = header.firstIndex(of: "kind"), let step = header.firstIndex(of: "global_step"),
            let wall = header.firstIndex(of: "wall_seconds"), let value = header.firstIndex(of: "episode_return")
        else { throw ArtifactError("\(run.metricsURL.path) does not have the columns of an a3c run") }
        lines.removeFirst()
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > max(kind, step, wall, value), fields[kind] == "episode",
                let s = Double(fields[step]), let w = Double(fields[wall]), let r = Double(fields[value])
            else { continue }
            steps.append(s)
            wallSeconds.append(w)
            returns.append(r)
        }
    }

    /// Mean of each return and the `window - 1` before it (fewer at the start).
    public func movingAverage(window: Int) -> [Double] {
        var result: [Double] = []
        result.reserveCapacity(returns.count)
        var sum = 0.0
        for i in returns.indices {
            sum += returns[i]
            if i >= window { sum -= returns[i - window] }
            result.append(sum / Double(min(i + 1, window)))
        }
        return result
    }
}

/// Draws a learning curve as SVG: episode returns (light) and their moving average (bold), against
/// environment steps and against wall time, side by side.
public enum LearningCurvePlot {
    /// An SVG document plotting `curve` against steps and wall time, with a `window`-episode moving average.
    public static func svg(_ curve: LearningCurve, title: String, window: Int) -> String {
        let panelWidth = 560.0, panelHeight = 380.0, margin = (left: 70.0, right: 20.0, top: 50.0, bottom: 55.0)
        let width = 2 * (panelWidth + margin.left + margin.right), height = panelHeight + margin.top + margin.bottom
        let average = curve.movingAverage(window: window)
        let lowY = min(curve.returns.min() ?? 0, 0), highY = max(curve.returns.max() ?? 1, lowY + 1)
        let yTicks = niceTicks(lowY, highY)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="24" text-anchor="middle" font-size="17">\(escape(title))</text>

            """
        let panels: [(String, [Double])] = [("environment steps", curve.steps), ("wall time (s)", curve.wallSeconds)]
        for (index, (label, xs)) in panels.enumerated() {
            let originX = Double(index) * (panelWidth + margin.left + margin.right) + margin.left
            let lowX = 0.0, highX = max(xs.max() ?? 1, 1e-9)
            let xTicks = niceTicks(lowX, highX)
            func px(_ x: Double) -> Double { originX + (x - lowX) / (xTicks.last! - lowX) * panelWidth }
            func py(_ y: Double) -> Double { margin.top + (1 - (y - yTicks.first!) / (yTicks.last! - yTicks.first!)) * panelHeight }
            svg += "<g>\n"
            for tick in yTicks {
                svg += "<line x1=\"\(f(originX))\" y1=\"\(f(py(tick)))\" x2=\"\(f(originX + panelWidth))\" y2=\"\(f(py(tick)))\" stroke=\"#e4e4e4\"/>\n"
                svg += "<text x=\"\(f(originX - 8))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\" font-size=\"12\">\(tickLabel(tick))</text>\n"
            }
            for tick in xTicks {
                svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(margin.top))\" x2=\"\(f(px(tick)))\" y2=\"\(f(margin.top + panelHeight))\" stroke=\"#e4e4e4\"/>\n"
                svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(margin.top + panelHeight + 18))\" text-anchor=\"middle\" font-size=\"12\">\(tickLabel(tick))</text>\n"
            }
            svg += "<rect x=\"\(f(originX))\" y=\"\(f(margin.top))\" width=\"\(f(panelWidth))\" height=\"\(f(panelHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
            svg += "<text x=\"\(f(originX + panelWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" font-size=\"13\">\(label)</text>\n"
            svg += "<text transform=\"translate(\(f(originX - 52)) \(f(margin.top + panelHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">episode return</text>\n"
            svg += polyline(xs.indices.map { (px(xs[$0]), py(curve.returns[$0])) }, color: "#9ecae1", width: 0.8)
            svg += polyline(xs.indices.map { (px(xs[$0]), py(average[$0])) }, color: "#08519c", width: 2.2)
            svg += "</g>\n"
        }
        let legendX = margin.left + 12, legendY = margin.top + 16
        svg += "<line x1=\"\(f(legendX))\" y1=\"\(f(legendY))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(legendY))\" stroke=\"#9ecae1\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(f(legendX + 30))\" y=\"\(f(legendY + 4))\" font-size=\"12\">episode return</text>\n"
        svg += "<line x1=\"\(f(legendX))\" y1=\"\(f(legendY + 18))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(legendY + 18))\" stroke=\"#08519c\" stroke-width=\"2.2\"/>"
        svg += "<text x=\"\(f(legendX + 30))\" y=\"\(f(legendY + 22))\" font-size=\"12\">mean of the last \(window)</text>\n"
        svg += "</svg>\n"
        return svg
    }

    private static func polyline(_ points: [(Double, Double)], color: String, width: Double) -> String {
        guard !points.isEmpty else { return "" }
        let coordinates = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\" stroke-linejoin=\"round\" points=\"\(coordinates)\"/>\n"
    }

    /// About five round tick values covering [low, high].
    public static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
        let span = max(high - low, 1e-9)
        let raw = span / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let start = (low / step).rounded(.down) * step
        var ticks: [Double] = []
        var value = start
        while value < high + step * 0.999 {
            ticks.append(value)
            if value >= high { break }
            value += step
        }
        return ticks.count >= 2 ? ticks : [start, start + step]
    }

    private static func tickLabel(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1_000_000 { return trim(value / 1_000_000) + "M" }
        if magnitude >= 10_000 { return trim(value / 1000) + "k" }
        return trim(value)
    }

    private static func trim(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
