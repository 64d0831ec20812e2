import Environments
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real ROMs and ViZDoom scenarios through the Gymnasium bridge (the project's .venv).
@Suite("Gymnasium bridge: Atari, ViZDoom, dead hosts")
struct BridgeTests {
    /// Bridged ids bring Gymnasium's registry facts, as native ones carry theirs.
    @Test func bridgedEnvironmentsReportGymnasiumsRewardThreshold() throws {
        let cartPole = try GymnasiumEnvironment(id: "CartPole-v1")
        defer { cartPole.close() }
        #expect(cartPole.rewardThreshold == 475)
        let pong = try EnvironmentRegistry.make("ALE/Pong-v5")
        defer { pong.close() }
        #expect(pong.rewardThreshold == nil)
    }

    @Test func pongAndBreakoutObservationsAndActions() throws {
        for (id, actions) in [("ALE/Pong-v5", 6), ("ALE/Breakout-v5", 4)] {
            let env = try EnvironmentRegistry.make(id)
            defer { env.close() }
            #expect(env.observationSpace.shape == [84, 84, 4])
            #expect(env.actionCount == actions, "\(id)")
            let first = try env.reset(seed: 1)
            #expect(first.count == 84 * 84 * 4)
            #expect(first.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(first.contains { $0 > 0 }, "\(id): a blank first frame")
            // The stack starts as four copies of the first frame.
            for i in stride(from: 0, to: first.count, by: 4) { #expect(first[i] == first[i + 3]) }
            var last = first
            for t in 0..<20 { last = try env.step(t % actions).observation }
            #expect(last != first)
            // Newest frame last: the oldest channel of a step is the previous step's second-oldest.
            let next = try env.step(0).observation
            for i in stride(from: 0, to: next.count, by: 4 * 97) { #expect(next[i] == last[i + 1]) }
        }
    }

    @Test func breakoutLivesScoreAndClipping() throws {
        let env = try EnvironmentRegistry.make("ALE/Breakout-v5")
        defer { env.close() }
        _ = try env.reset(seed: 3)
        var lifeLosses = 0, score = 0.0, rewards = 0.0, steps = 0
        var gameOver = false
        while !gameOver && steps < 20_000 {
            let result = try env.step(Int.random(in: 0..<4)).result
            steps += 1
            score += result.score
            rewards += result.reward
            #expect(result.reward == min(1, max(-1, result.reward)) && (result.reward == 0) == (result.score == 0))
            if result.terminated && !result.gameOver {
                lifeLosses += 1
                _ = try env.reset(seed: nil)  // a lost life: the game goes on
            }
            gameOver = result.gameOver
        }
        #expect(gameOver, "a random Breakout game ends within 20,000 steps")
        #expect(lifeLosses == 4, "5 lives: 4 lost lives end training episodes before the game ends")
        #expect(score >= rewards, "Breakout's bricks are worth 1, 4 or 7: clipping only lowers")
        // After game over, a reset starts a new game.
        _ = try env.reset(seed: nil)
        #expect(try !env.step(0).result.gameOver)
    }

    @Test func pongScoreIsTheGamesPointDifference() throws {
        let env = try EnvironmentRegistry.make("ALE/Pong-v5")
        defer { env.close() }
        _ = try env.reset(seed: 2)
        var score = 0.0, points = 0, steps = 0
        while steps < 30_000 {
            let result = try env.step(0).result
            steps += 1
            score += result.score
            if result.score != 0 { points += 1 }
            #expect(!(result.terminated && !result.gameOver), "Pong has no lives to lose")
            if result.gameOver { break }
        }
        #expect(score == -21 || (score > -21 && score < 0), "standing still loses: \(score)")
        #expect(points >= 21)
    }

    @Test func vizdoomBasic() throws {
        let env = try EnvironmentRegistry.make("VizdoomBasic-v1")
        defer { env.close() }
        #expect(env.observationSpace.shape == [84, 84, 4])
        #expect(env.actionCount >= 3)
        let first = try env.reset(seed: 1)
        #expect(first.contains { $0 > 0 })
        var done = false, steps = 0, score = 0.0
        while !done && steps < 1000 {
            let result = try env.step(steps % env.actionCount).result
            score += result.score
            done = result.isDone
            steps += 1
        }
        #expect(done, "basic ends by its 300-tic timeout at the latest")
        #expect(score != 0)
        let picture = try #require(env.render())
        #expect(picture.width == 320 && picture.height == 240)
    }

    @Test func atariRendersInColourAtNativeResolution() throws {
        let env = try EnvironmentRegistry.make("ALE/Pong-v5")
        defer { env.close() }
        _ = try env.reset(seed: 1)
        let picture = try #require(env.render())
        #expect(picture.width == 160 && picture.height == 210)
        var colours = Set<Int>()
        var coloured = false
        for i in stride(from: 0, to: picture.pixels.count, by: 3) {
            let (r, g, b) = (Int(picture.pixels[i]), Int(picture.pixels[i + 1]), Int(picture.pixels[i + 2]))
            colours.insert(r << 16 | g << 8 | b)
            if r != b || r != g { coloured = true }
        }
        #expect(colours.count >= 3 && coloured, "not grey")
    }

    @Test func aKilledHostIsAClearErrorNotAHang() throws {
        let env = try AtariEnvironment(id: "ALE/Pong-v5")
        var observation = [Float](repeating: 0, count: env.observationSpace.count)
        try observation.withUnsafeMutableBufferPointer { try env.reset(seed: 1, into: $0) }
        for _ in 0..<10 { _ = try observation.withUnsafeMutableBufferPointer { try env.step(1, into: $0) } }
        kill(env.hostProcessIdentifier, SIGKILL)
        let start = Date()
        do {
            _ = try observation.withUnsafeMutableBufferPointer { try env.step(1, into: $0) }
            Issue.record("stepping a dead host succeeded")
        } catch {
            let message = "\(error)"
            #expect(message.contains("ALE/Pong-v5") && message.contains("signal 9"), "\(message)")
            #expect(!message.contains("\n"))
        }
        #expect(Date().timeIntervalSince(start) < 5)
        env.close()
    }

    @Test func unknownGymnasiumIdsAreOneLineErrors() {
        do {
            _ = try EnvironmentRegistry.make("NoSuchGame-v3")
            Issue.record("made an unknown environment")
        } catch {
            let message = "\(error)"
            #expect(message.contains("NoSuchGame-v3") && message.contains("CartPole-v1") && !message.contains("\n"), "\(message)")
        }
    }
}

@Suite("Frame pipeline")
struct FramePipelineTests {
    @Test func integerFactorIsABlockAverage() throws {
        let pipeline = try FramePipeline(inputHeight: 8, inputWidth: 6, inputChannels: 1, outputHeight: 4, outputWidth: 3, stackSize: 2)
        let frame = (0..<48).map { UInt8($0 * 5) }
        frame.withUnsafeBufferPointer { pipeline.push($0.baseAddress!, reset: true) }
        var out = [Float](repeating: 0, count: 4 * 3 * 2)
        out.withUnsafeMutableBufferPointer { pipeline.write(into: $0) }
        for y in 0..<4 {
            for x in 0..<3 {
                let block = [frame[(2 * y) * 6 + 2 * x], frame[(2 * y) * 6 + 2 * x + 1], frame[(2 * y + 1) * 6 + 2 * x], frame[(2 * y + 1) * 6 + 2 * x + 1]]
                let mean = Float(block.map(Int.init).reduce(0, +)) / 4
                #expect(abs(out[(y * 3 + x) * 2] - (mean.rounded() / 255)) < 1e-6)
                #expect(out[(y * 3 + x) * 2] == out[(y * 3 + x) * 2 + 1])
            }
        }
    }

    @Test func fractionalFactorKeepsTheMeanAndTheStackOrder() throws {
        let pipeline = try FramePipeline(inputHeight: 210, inputWidth: 160, inputChannels: 1, outputHeight: 84, outputWidth: 84, stackSize: 4)
        var frame = [UInt8](repeating: 0, count: 210 * 160)
        for i in frame.indices { frame[i] = UInt8((i * 7919) % 256) }
        frame.withUnsafeBufferPointer { pipeline.push($0.baseAddress!, reset: true) }
        let white = [UInt8](repeating: 255, count: 210 * 160)
        white.withUnsafeBufferPointer { pipeline.push($0.baseAddress!) }
        var out = [Float](repeating: 0, count: 84 * 84 * 4)
        out.withUnsafeMutableBufferPointer { pipeline.write(into: $0) }
        let inputMean = Double(frame.map(Int.init).reduce(0, +)) / Double(frame.count) / 255
        let outputMean = stride(from: 0, to: out.count, by: 4).map { Double(out[$0]) }.reduce(0, +) / Double(84 * 84)
        #expect(abs(inputMean - outputMean) < 0.01)
        #expect(stride(from: 3, to: out.count, by: 4).allSatisfy { out[$0] == 1 }, "newest frame last")
    }

    @Test func colourCropAndNonSquareSize() throws {
        // A ViZDoom set-up with a cropped top: crop, then 100x160.
        let pipeline = try FramePipeline(
            inputHeight: 240, inputWidth: 320, inputChannels: 3, outputHeight: 100, outputWidth: 160, stackSize: 1,
            crop: FramePipeline.Crop(top: 40, bottom: 0, left: 0, right: 0))
        var frame = [UInt8](repeating: 0, count: 240 * 320 * 3)
        for y in 40..<240 { for x in 0..<320 { frame[(y * 320 + x) * 3] = 255 } }  // red below the crop line
        frame.withUnsafeBufferPointer { pipeline.push($0.baseAddress!, reset: true) }
        var out = [Float](repeating: 0, count: 100 * 160)
        out.withUnsafeMutableBufferPointer { pipeline.write(into: $0) }
        #expect(out.allSatisfy { abs($0 - Float(Int(0.299 * 255 + 0.5)) / 255) < 1e-6 })
        #expect(throws: BridgeError.self) {
            try FramePipeline(inputHeight: 10, inputWidth: 10, inputChannels: 1, outputHeight: 5, outputWidth: 5, stackSize: 1,
                              crop: FramePipeline.Crop(top: 6, bottom: 6))
        }
    }

    /// With the background subtracted, frames are the plain ones less their most common grey level:
    /// Pong's grey court reads 0 and its paddle stays positive, and a black background (Breakout's)
    /// leaves the frame bit for bit as it was.
    @Test func subtractingTheBackgroundZeroesTheMostCommonLevel() throws {
        func pipelines() throws -> (FramePipeline, FramePipeline) {
            (try FramePipeline(inputHeight: 210, inputWidth: 160, inputChannels: 1, outputHeight: 84, outputWidth: 84, stackSize: 4),
             try FramePipeline(
                inputHeight: 210, inputWidth: 160, inputChannels: 1, outputHeight: 84, outputWidth: 84, stackSize: 4,
                subtractBackground: true))
        }
        for background in [87, 0] as [UInt8] {
            let (plain, subtracted) = try pipelines()
            #expect(plain.valueRange == 0...1 && subtracted.valueRange == -1...1)
            var court = [UInt8](repeating: background, count: 210 * 160)
            for y in 100..<116 { for x in 140..<144 { court[y * 160 + x] = 147 } }  // a paddle
            for y in 0..<10 { for x in 0..<160 { court[y * 160 + x] = 236 } }  // a wall
            let empty = [UInt8](repeating: background, count: 210 * 160)
            for (frame, reset) in [(empty, true), (court, false)] {
                for pipeline in [plain, subtracted] { frame.withUnsafeBufferPointer { pipeline.push($0.baseAddress!, reset: reset) } }
            }
            var a = [Float](repeating: 0, count: 84 * 84 * 4), b = a
            a.withUnsafeMutableBufferPointer { plain.write(into: $0) }
            b.withUnsafeMutableBufferPointer { subtracted.write(into: $0) }
            let level = Float(Int32(background)) * (1 / 255)
            #expect(zip(a, b).allSatisfy { $1 == $0 - level }, "background \(background)")
            #expect(stride(from: 0, to: b.count, by: 4).allSatisfy { b[$0] == 0 }, "an empty court reads 0")
            #expect(b.contains { $0 > 0.2 })
            if background == 0 { #expect(a == b) }
        }
    }
}
