/// Pictures to network input: grayscale, an optional crop, area resampling to the output size
/// (as OpenCV's INTER_AREA, which Gymnasium's AtariPreprocessing uses), and a stack of the last
/// `stackSize` frames as channels (oldest first), scaled from bytes to [0, 1], optionally less each
/// frame's background (its most common grey level).
///
/// Runs in Swift on the worker's thread: the host sends one native-resolution grey (or colour) frame
/// per step, and the resize is a few microseconds here against a Python round trip of OpenCV.
/// Not thread-safe: one per environment.
public final class FramePipeline {
    /// Pixels cut off each edge of the input frame before it is resized.
    public struct Crop: Sendable, Hashable, Codable {
        /// Rows removed at the top and bottom, columns at the left and right.
        public var top = 0, bottom = 0, left = 0, right = 0
        /// A crop with these margins; all zero keeps the whole frame.
        public init(top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) {
            self.top = top
            self.bottom = bottom
            self.left = left
            self.right = right
        }
    }

    /// Size of the incoming frames: rows, columns, and 1 (grey) or 3 (RGB) channels.
    public let inputHeight: Int, inputWidth: Int, inputChannels: Int
    /// Size of each processed frame after resizing, in pixels.
    public let outputHeight: Int, outputWidth: Int
    /// Number of most recent frames stacked as channels.
    public let stackSize: Int
    /// Margins cut from each input frame.
    public let crop: Crop
    /// Each frame has its most common grey level (its background) subtracted, so that a uniform
    /// background reads 0 whatever its colour.
    public let subtractBackground: Bool
    /// The range of an observation's values: [0, 1], or [-1, 1] with the background subtracted.
    public var valueRange: ClosedRange<Float> { subtractBackground ? -1...1 : 0...1 }
    /// The stacked observation's shape: [height, width, frames].
    public var observationShape: [Int] { [outputHeight, outputWidth, stackSize] }
    /// The stacked observation's shape and `valueRange`.
    public var observationSpace: BoxSpace { BoxSpace(shape: observationShape, low: valueRange.lowerBound, high: valueRange.upperBound) }

    private let gray: UnsafeMutablePointer<Float>
    private let rows: UnsafeMutablePointer<Float>
    private let frames: UnsafeMutablePointer<Float>
    private let histogram: UnsafeMutablePointer<Int32>
    private var newest = 0
    /// Area-resampling taps per output column and row: `taps` source indices from `first[i]`,
    /// weights zero-padded to the same count (so the inner loops have a fixed trip count).
    private let columnFirst: [Int], columnWeights: [Float], columnTaps: Int
    private let rowFirst: [Int], rowWeights: [Float], rowTaps: Int

    /// Precomputes the resampling weights; throws if the crop leaves nothing or a size or channel count is invalid.
    public init(
        inputHeight: Int, inputWidth: Int, inputChannels: Int, outputHeight: Int, outputWidth: Int, stackSize: Int,
        crop: Crop = Crop(), subtractBackground: Bool = false
    ) throws(BridgeError) {
        let croppedHeight = inputHeight - crop.top - crop.bottom, croppedWidth = inputWidth - crop.left - crop.right
        guard croppedHeight > 0, croppedWidth > 0, crop.top >= 0, crop.bottom >= 0, crop.left >= 0, crop.right >= 0 else {
            throw BridgeError("the crop \(crop) leaves nothing of a \(inputHeight)x\(inputWidth) frame")
        }
        guard outputHeight > 0, outputWidth > 0, stackSize > 0, inputChannels == 1 || inputChannels == 3 else {
            throw BridgeError("invalid frame size \(outputHeight)x\(outputWidth)x\(stackSize)")
        }
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.inputChannels = inputChannels
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.stackSize = stackSize
        self.crop = crop
        self.subtractBackground = subtractBackground
        histogram = .allocate(capacity: 4 * 256)
        // Grey input is read straight from the bytes; only colour needs a grey copy first.
        gray = .allocate(capacity: inputChannels == 3 ? croppedHeight * croppedWidth : 1)
        rows = .allocate(capacity: outputHeight * croppedWidth)
        frames = .allocate(capacity: stackSize * outputHeight * outputWidth)
        frames.initialize(repeating: 0, count: stackSize * outputHeight * outputWidth)
        (columnFirst, columnWeights, columnTaps) = Self.paddedTaps(Self.areaWeights(source: croppedWidth, target: outputWidth), source: croppedWidth)
        (rowFirst, rowWeights, rowTaps) = Self.paddedTaps(Self.areaWeights(source: croppedHeight, target: outputHeight), source: croppedHeight)
    }

    /// The same taps with a common count; `first` is moved back where needed to stay inside the source.
    static func paddedTaps(_ cells: [(first: Int, weights: [Float])], source: Int) -> ([Int], [Float], Int) {
        let taps = min(cells.map(\.weights.count).max() ?? 1, source)
        var firsts: [Int] = [], weights: [Float] = []
        for cell in cells {
            let first = min(cell.first, source - taps)
            firsts.append(first)
            for k in 0..<taps {
                let index = first + k - cell.first
                weights.append(index >= 0 && index < cell.weights.count ? cell.weights[index] : 0)
            }
        }
        return (firsts, weights, taps)
    }

    deinit {
        gray.deallocate()
        rows.deallocate()
        frames.deallocate()
        histogram.deallocate()
    }

    /// For each output index, the first source index it covers and the weights of the sources it
    /// covers (fractions of each source pixel, summing to 1).
    static func areaWeights(source: Int, target: Int) -> [(first: Int, weights: [Float])] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { index in
            let start = Double(index) * scale, end = Double(index + 1) * scale
            let first = Int(start.rounded(.down))
            var weights: [Float] = []
            var position = first
            while Double(position) < end - 1e-9 && position < source {
                let covered = min(end, Double(position + 1)) - max(start, Double(position))
                weights.append(Float(covered / scale))
                position += 1
            }
            return (first, weights)
        }
    }

    /// Processes a frame of `inputHeight x inputWidth x inputChannels` bytes into the newest slot;
    /// `reset` fills every slot with it instead.
    ///
    /// Columns first, then rows: the first pass runs along contiguous rows (vectorised) and leaves
    /// only `outputHeight` rows for the second. Grey frames are read straight from the bytes.
    public func push(_ frame: UnsafePointer<UInt8>, reset: Bool = false) {
        let croppedHeight = inputHeight - crop.top - crop.bottom, croppedWidth = inputWidth - crop.left - crop.right
        if inputChannels == 3 {
            // Grey level (ITU-R 601 luma, as OpenCV's RGB2GRAY) of the cropped region.
            for y in 0..<croppedHeight {
                let source = frame + ((y + crop.top) * inputWidth + crop.left) * 3
                let target = gray + y * croppedWidth
                for x in 0..<croppedWidth {
                    let p = source + 3 * x
                    target[x] = 0.299 * Float(p[0]) + 0.587 * Float(p[1]) + 0.114 * Float(p[2])
                }
            }
        }
        // Area resampling down the columns: output row y from `rowTaps` source rows.
        rowFirst.withUnsafeBufferPointer { firsts in
            rowWeights.withUnsafeBufferPointer { weights in
                for y in 0..<outputHeight {
                    let target = rows + y * croppedWidth
                    let w = weights.baseAddress! + y * rowTaps
                    // The first tap sets the row (0 + a product is the product: weights and levels are >= 0).
                    for k in 0..<rowTaps {
                        let sourceRow = firsts[y] + k, weight = w[k]
                        if inputChannels == 3 {
                            let source = gray + sourceRow * croppedWidth
                            if k == 0 {
                                for x in 0..<croppedWidth { target[x] = weight * source[x] }
                            } else {
                                for x in 0..<croppedWidth { target[x] += weight * source[x] }
                            }
                        } else {
                            let source = frame + (sourceRow + crop.top) * inputWidth + crop.left
                            if k == 0 {
                                for x in 0..<croppedWidth { target[x] = weight * Float(source[x]) }
                            } else {
                                for x in 0..<croppedWidth { target[x] += weight * Float(source[x]) }
                            }
                        }
                    }
                }
            }
        }
        newest = (newest + 1) % stackSize
        let slot = frames + newest * outputHeight * outputWidth
        // The background's histogram is counted as the levels are made, in four banks by column so
        // that runs of one level do not wait on each other's increments.
        let histogram = self.histogram, counting = subtractBackground
        if counting { histogram.update(repeating: 0, count: 4 * 256) }
        // Then along the rows; whole grey levels, as an 8-bit resize gives (values are >= 0), then [0, 1].
        columnFirst.withUnsafeBufferPointer { firsts in
            columnWeights.withUnsafeBufferPointer { weights in
                let taps = columnTaps
                for y in 0..<outputHeight {
                    let source = rows + y * croppedWidth, target = slot + y * outputWidth
                    for x in 0..<outputWidth {
                        let from = source + firsts[x], w = weights.baseAddress! + x * taps
                        var sum: Float
                        switch taps {
                        case 1: sum = w[0] * from[0]
                        case 2: sum = w[0] * from[0] + w[1] * from[1]
                        case 3: sum = w[0] * from[0] + w[1] * from[1] + w[2] * from[2]
                        default:
                            sum = 0
                            for k in 0..<taps { sum += w[k] * from[k] }
                        }
                        let level = Int32(sum + 0.5)
                        target[x] = Float(level) * (1 / 255)
                        if counting { histogram[Int(level) &* 4 &+ (x & 3)] &+= 1 }
                    }
                }
            }
        }
        if subtractBackground {
            // The most common grey level (the lowest of equals) is the background; pixels are whole
            // levels times 1/255, so the background's pixels read exactly 0.
            let count = outputHeight * outputWidth
            var level = 0, most: Int32 = -1
            for l in 0..<256 {
                let bank = histogram + 4 * l
                let n = bank[0] &+ bank[1] &+ bank[2] &+ bank[3]
                if n > most { (level, most) = (l, n) }
            }
            if level > 0 {
                let background = Float(Int32(level)) * (1 / 255)
                for i in 0..<count { slot[i] -= background }
            }
        }
        if reset {
            for s in 0..<stackSize where s != newest {
                (frames + s * outputHeight * outputWidth).update(from: slot, count: outputHeight * outputWidth)
            }
        }
    }

    /// Writes the stack as [height, width, frames], oldest frame first.
    public func write(into observation: UnsafeMutableBufferPointer<Float>) {
        let plane = outputHeight * outputWidth
        let out = observation.baseAddress!
        if stackSize == 4 {
            // The common case written pixel by pixel: one sequential pass over the output.
            let s0 = frames + ((newest + 1) % 4) * plane, s1 = frames + ((newest + 2) % 4) * plane
            let s2 = frames + ((newest + 3) % 4) * plane, s3 = frames + newest * plane
            for i in 0..<plane {
                let o = out + 4 * i
                o[0] = s0[i]
                o[1] = s1[i]
                o[2] = s2[i]
                o[3] = s3[i]
            }
            return
        }
        for s in 0..<stackSize {
            let slot = frames + ((newest + 1 + s) % stackSize) * plane
            var index = s
            for i in 0..<plane {
                out[index] = slot[i]
                index += stackSize
            }
        }
    }
}
