/// Just enough 2-D drawing to picture the classic-control environments: filled convex polygons,
/// circles and thick lines on an RGB frame, in pixel coordinates with y pointing up (as Gymnasium's
/// pygame renderers draw before flipping).
public struct Canvas {
    /// The picture drawn so far.
    public private(set) var frame: RGBFrame
    /// An RGB colour, one byte per channel.
    public typealias Color = (UInt8, UInt8, UInt8)

    /// A blank canvas of `width` x `height` pixels filled with `background` (white by default).
    public init(width: Int, height: Int, background: Color = (255, 255, 255)) {
        frame = RGBFrame(width: width, height: height, fill: background)
    }

    @inline(__always)
    private mutating func plot(_ x: Int, _ yUp: Int, _ color: Color) {
        let y = frame.height - 1 - yUp
        guard x >= 0, x < frame.width, y >= 0, y < frame.height else { return }
        let i = 3 * (y * frame.width + x)
        frame.pixels[i] = color.0
        frame.pixels[i + 1] = color.1
        frame.pixels[i + 2] = color.2
    }

    /// Fills the convex polygon through `points` (any winding).
    public mutating func fillPolygon(_ points: [(Double, Double)], _ color: Color) {
        guard points.count >= 3 else { return }
        guard points.allSatisfy({ $0.0.isFinite && $0.1.isFinite }) else { return }
        let minY = max(Int(points.map(\.1).min()!.rounded(.down)), 0)
        let maxY = min(Int(points.map(\.1).max()!.rounded(.up)), frame.height - 1)
        guard minY <= maxY else { return }
        for y in minY...maxY {
            let scan = Double(y) + 0.5
            var low = Double.infinity, high = -Double.infinity
            for i in points.indices {
                let (x0, y0) = points[i], (x1, y1) = points[(i + 1) % points.count]
                guard (y0 <= scan && y1 > scan) || (y1 <= scan && y0 > scan) else { continue }
                let x = x0 + (scan - y0) / (y1 - y0) * (x1 - x0)
                low = min(low, x)
                high = max(high, x)
            }
            guard low <= high else { continue }
            let first = max(Int((low - 0.5).rounded(.up)), 0), last = min(Int((high - 0.5).rounded(.down)), frame.width - 1)
            guard first <= last else { continue }
            for x in first...last { plot(x, y, color) }
        }
    }

    /// Fills the axis-aligned rectangle with corners (x0, y0) and (x1, y1).
    public mutating func fillRect(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ color: Color) {
        fillPolygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color)
    }

    /// Fills a circle.
    public mutating func fillCircle(_ cx: Double, _ cy: Double, _ radius: Double, _ color: Color) {
        guard cx.isFinite, cy.isFinite, radius > 0 else { return }
        let r2 = radius * radius
        let top = max(Int((cy - radius).rounded(.down)), 0), bottom = min(Int((cy + radius).rounded(.up)), frame.height - 1)
        let left = max(Int((cx - radius).rounded(.down)), 0), right = min(Int((cx + radius).rounded(.up)), frame.width - 1)
        guard top <= bottom, left <= right else { return }
        for y in top...bottom {
            for x in left...right {
                let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                if dx * dx + dy * dy <= r2 { plot(x, y, color) }
            }
        }
    }

    /// A line `width` pixels thick.
    public mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width: Double = 1, _ color: Color) {
        let dx = x1 - x0, dy = y1 - y0
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > 0 else { return }
        let nx = -dy / length * width / 2, ny = dx / length * width / 2
        fillPolygon([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)], color)
    }
}
