import Environments
import Foundation

/// Animated GIF (GIF89a) written from RGB frames: each frame gets its own 256-colour table
/// (exact when the frame has at most 256 colours, as classic-control and Atari frames do; a 3-3-2
/// colour cube otherwise) and LZW-compressed pixels. Loops forever.
public struct GIFEncoder {
    /// Width of every frame, in pixels.
    public let width: Int
    /// Height of every frame, in pixels.
    public let height: Int
    /// Time each frame is shown, in hundredths of a second.
    public let delay: Int
    private var data = Data()
    /// Frames added so far.
    public private(set) var frameCount = 0

    /// Starts a looping GIF of `width` x `height` frames, each shown 1 / `framesPerSecond` s (at least 0.02 s).
    public init(width: Int, height: Int, framesPerSecond: Double) {
        precondition(width > 0 && width < 65536 && height > 0 && height < 65536, "GIF sides must be 1...65535")
        self.width = width
        self.height = height
        delay = max(2, Int((100 / framesPerSecond).rounded()))
        data.append(contentsOf: Array("GIF89a".utf8))
        appendShort(width)
        appendShort(height)
        data.append(contentsOf: [0x00, 0x00, 0x00])  // no global colour table
        // NETSCAPE2.0 application extension: loop forever.
        data.append(contentsOf: [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00])
    }

    /// Adds one frame, which must have the encoder's size.
    public mutating func add(_ frame: RGBFrame) {
        precondition(frame.width == width && frame.height == height, "frame size \(frame.width)x\(frame.height) differs")
        let (palette, indices) = Self.palettize(frame)
        // Graphic control extension: delay, no transparency.
        data.append(contentsOf: [0x21, 0xF9, 0x04, 0x04])
        appendShort(delay)
        data.append(contentsOf: [0x00, 0x00])
        // Image descriptor with a local 256-colour table.
        data.append(0x2C)
        appendShort(0)
        appendShort(0)
        appendShort(width)
        appendShort(height)
        data.append(0x87)
        data.append(contentsOf: palette)
        data.append(8)  // LZW minimum code size
        let compressed = Self.lzw(indices)
        var offset = 0
        while offset < compressed.count {
            let length = min(255, compressed.count - offset)
            data.append(UInt8(length))
            data.append(contentsOf: compressed[offset..<(offset + length)])
            offset += length
        }
        data.append(0x00)
        frameCount += 1
    }

    /// The finished file.
    public func finish() -> Data {
        var result = data
        result.append(0x3B)
        return result
    }

    private mutating func appendShort(_ value: Int) {
        data.append(UInt8(value & 0xFF))
        data.append(UInt8((value >> 8) & 0xFF))
    }

    /// A 768-byte colour table and one index per pixel.
    static func palettize(_ frame: RGBFrame) -> ([UInt8], [UInt8]) {
        let count = frame.width * frame.height
        var table: [UInt32: UInt8] = [:]
        var palette = [UInt8](repeating: 0, count: 768)
        var indices = [UInt8](repeating: 0, count: count)
        var exact = true
        frame.pixels.withUnsafeBufferPointer { p in
            for i in 0..<count {
                let key = UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2])
                if let index = table[key] {
                    indices[i] = index
                } else if table.count < 256 {
                    let index = UInt8(table.count)
                    table[key] = index
                    palette[3 * Int(index)] = p[3 * i]
                    palette[3 * Int(index) + 1] = p[3 * i + 1]
                    palette[3 * Int(index) + 2] = p[3 * i + 2]
                    indices[i] = index
                } else {
                    exact = false
                    break
                }
            }
            guard !exact else { return }
            // More than 256 colours: 3 bits red, 3 green, 2 blue.
            for index in 0..<256 {
                palette[3 * index] = UInt8((index >> 5) * 255 / 7)
                palette[3 * index + 1] = UInt8(((index >> 2) & 7) * 255 / 7)
                palette[3 * index + 2] = UInt8((index & 3) * 255 / 3)
            }
            for i in 0..<count {
                indices[i] = (p[3 * i] & 0xE0) | ((p[3 * i + 1] >> 3) & 0x1C) | (p[3 * i + 2] >> 6)
            }
        }
        return (palette, indices)
    }

    /// GIF's variable-width LZW (codes of 9 to 12 bits, least significant bit first), with a clear
    /// code whenever the 4096-entry table is full.
    static func lzw(_ indices: [UInt8]) -> [UInt8] {
        let clear = 256, end = 257
        var output: [UInt8] = []
        output.reserveCapacity(indices.count / 2)
        var bitBuffer = 0, bitCount = 0
        var codeSize = 9
        var next = 258
        var table = [Int32](repeating: -1, count: 4096 * 256)
        var used: [Int] = []
        func emit(_ code: Int) {
            bitBuffer |= code << bitCount
            bitCount += codeSize
            while bitCount >= 8 {
                output.append(UInt8(bitBuffer & 0xFF))
                bitBuffer >>= 8
                bitCount -= 8
            }
        }
        emit(clear)
        guard var prefix = indices.first.map(Int.init) else {
            emit(end)
            if bitCount > 0 { output.append(UInt8(bitBuffer & 0xFF)) }
            return output
        }
        for byte in indices.dropFirst() {
            let key = prefix << 8 | Int(byte)
            let found = table[key]
            if found >= 0 {
                prefix = Int(found)
                continue
            }
            emit(prefix)
            if next < 4096 {
                table[key] = Int32(next)
                used.append(key)
                next += 1
                if next > (1 << codeSize) && codeSize < 12 { codeSize += 1 }
            } else {
                emit(clear)
                for k in used { table[k] = -1 }
                used.removeAll(keepingCapacity: true)
                next = 258
                codeSize = 9
            }
            prefix = Int(byte)
        }
        emit(prefix)
        // The decoder adds an entry after that last code and may widen its codes before reading `end`.
        if next == (1 << codeSize) && codeSize < 12 { codeSize += 1 }
        emit(end)
        if bitCount > 0 { output.append(UInt8(bitBuffer & 0xFF)) }
        return output
    }
}
