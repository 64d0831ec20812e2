#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Pictures after Gymnasium's classic-control renderers: same canvas sizes, scales and colours.

extension CartPole {
    /// 600x400: the track, the cart and the pole.
    public func render() -> RGBFrame? {
        let width = 600.0, height = 400.0
        let scale = width / (Self.xThreshold * 2)
        let poleWidth = 10.0, poleLength = scale * (2 * Self.length)
        let cartWidth = 50.0, cartHeight = 30.0, cartY = 100.0
        let (x, theta) = (state[0], state[2])
        var canvas = Canvas(width: Int(width), height: Int(height))
        let cartX = x * scale + width / 2
        canvas.line(0, cartY, width, cartY, width: 1, (0, 0, 0))
        canvas.fillRect(cartX - cartWidth / 2, cartY - cartHeight / 2, cartX + cartWidth / 2, cartY + cartHeight / 2, (0, 0, 0))
        let axleY = cartY + cartHeight / 4
        let corners = [(-poleWidth / 2, -poleWidth / 2), (-poleWidth / 2, poleLength - poleWidth / 2),
                       (poleWidth / 2, poleLength - poleWidth / 2), (poleWidth / 2, -poleWidth / 2)]
        let pole = corners.map { (px, py) -> (Double, Double) in
            // Rotated by -θ: a positive angle leans right.
            (cartX + px * cos(-theta) - py * sin(-theta), axleY + px * sin(-theta) + py * cos(-theta))
        }
        canvas.fillPolygon(pole, (202, 152, 101))
        canvas.fillCircle(cartX, axleY, poleWidth / 2, (129, 132, 203))
        return canvas.frame
    }
}

extension Acrobot {
    /// 500x500: both links from the pivot, and the goal height.
    public func render() -> RGBFrame? {
        let size = 500.0
        let bound = Self.linkLength1 + 1.0 + 0.2
        let scale = size / (2 * bound)
        let offset = size / 2
        let (theta1, theta2) = (state[0], state[1])
        var canvas = Canvas(width: Int(size), height: Int(size))
        canvas.line(-2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset, width: 1, (0, 0, 0))
        let p1 = (-Self.linkLength1 * cos(theta1) * scale, Self.linkLength1 * sin(theta1) * scale)
        let p2 = (p1.0 - cos(theta1 + theta2) * scale, p1.1 + sin(theta1 + theta2) * scale)
        let joints = [(0.0, 0.0), (p1.1, p1.0), (p2.1, p2.0)]
        for i in 0..<2 {
            let a = joints[i], b = joints[i + 1]
            canvas.line(a.0 + offset, a.1 + offset, b.0 + offset, b.1 + offset, width: 0.2 * scale, (0, 204, 204))
            canvas.fillCircle(a.0 + offset, a.1 + offset, 0.1 * scale, (204, 204, 0))
        }
        return canvas.frame
    }
}

extension MountainCar {
    /// 600x400: the valley, the car and the flag.
    public func render() -> RGBFrame? {
        let width = 600.0, height = 400.0
        let scale = width / (Self.maxPosition - Self.minPosition)
        func heightAt(_ x: Double) -> Double { sin(3 * x) * 0.45 + 0.55 }
        var canvas = Canvas(width: Int(width), height: Int(height))
        var previous: (Double, Double)?
        for i in 0...100 {
            let x = Self.minPosition + (Self.maxPosition - Self.minPosition) * Double(i) / 100
            let point = ((x - Self.minPosition) * scale, heightAt(x) * scale)
            if let previous { canvas.line(previous.0, previous.1, point.0, point.1, width: 2, (0, 0, 0)) }
            previous = point
        }
        let position = state[0]
        let angle = cos(3 * position)
        let carWidth = 40.0, carHeight = 20.0, clearance = 10.0
        let base = ((position - Self.minPosition) * scale, clearance + heightAt(position) * scale)
        func place(_ px: Double, _ py: Double) -> (Double, Double) {
            (base.0 + px * cos(angle) - py * sin(angle), base.1 + px * sin(angle) + py * cos(angle))
        }
        canvas.fillPolygon(
            [place(-carWidth / 2, 0), place(-carWidth / 2, carHeight), place(carWidth / 2, carHeight), place(carWidth / 2, 0)],
            (0, 0, 0))
        for wheel in [carWidth / 4, -carWidth / 4] {
            let center = place(wheel, 0)
            canvas.fillCircle(center.0, center.1, carHeight / 2.5, (128, 128, 128))
        }
        let flagX = (Self.goalPosition - Self.minPosition) * scale
        let flagY = heightAt(Self.goalPosition) * scale
        canvas.line(flagX, flagY, flagX, flagY + 50, width: 2, (0, 0, 0))
        canvas.fillPolygon([(flagX, flagY + 50), (flagX, flagY + 40), (flagX + 25, flagY + 45)], (204, 204, 0))
        return canvas.frame
    }
}
