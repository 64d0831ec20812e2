import ActorCritic
import Environments
import Foundation
import RunArtifacts
import Testing

@Suite("GIF, plots and config files")
struct MediaAndConfigTests {
    @Test(arguments: [false, true])
    func pillowDecodesOurGIFExactly(manyColours: Bool) throws {
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (width, height) = (97, 61)
        func frame(_ index: Int) -> RGBFrame {
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let i = 3 * (y * width + x)
                    if manyColours {
                        // Thousands of colours: the 3-3-2 cube is used, so compare after quantising.
                        pixels[i] = UInt8((x * 7 + index) % 256)
                        pixels[i + 1] = UInt8((y * 5) % 256)
                        pixels[i + 2] = UInt8((x * y) % 256)
                    } else {
                        // 200 colours in long runs and noise: exercises every LZW code width and table resets.
                        let c = ((x / 3) * 7 + y * 13 + index + (x * y) % 11) % 200
                        pixels[i] = UInt8(c)
                        pixels[i + 1] = UInt8(255 - c)
                        pixels[i + 2] = UInt8((c * 3) % 256)
                    }
                }
            }
            return RGBFrame(width: width, height: height, pixels: pixels)
        }
        var encoder = GIFEncoder(width: width, height: height, framesPerSecond: 25)
        for index in 0..<12 { encoder.add(frame(index)) }
        let url = directory.appendingPathComponent("test.gif")
        try encoder.finish().write(to: url)

        let json = try PythonReader.read("gif", url.path)
        #expect(json["format"] as? String == "GIF")
        #expect(json["frames"] as? Int == 12)
        #expect(json["size"] as? [Int] == [width, height])
        let first = try #require(json["first"] as? [Int]).map(UInt8.init)
        let last = try #require(json["last"] as? [Int]).map(UInt8.init)
        if manyColours {
            let quantised = frame(0).pixels.enumerated().map { i, v -> UInt8 in
                switch i % 3 {
                case 2: return UInt8(Int(v >> 6) * 255 / 3)
                default: return UInt8(Int(v >> 5) * 255 / 7)
                }
            }
            #expect(first == quantised)
        } else {
            #expect(first == frame(0).pixels)
            #expect(last == frame(11).pixels)
        }
    }

    @Test func configFileKeysAreTheOptionNames() throws {
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("c.yaml")
        try "env: Acrobot-v1\nlr: 0.001\nt-max: 16\nhidden: [32, 16]\nactivation: relu\ngae-lambda: 0.95\n"
            .write(to: url, atomically: true, encoding: .utf8)
        let loaded = try TrainingConfigFile.load(url)
        #expect(loaded.config.environmentID == "Acrobot-v1")
        #expect(loaded.config.learningRate == 0.001 && loaded.config.tMax == 16)
        #expect(loaded.config.hiddenSizes == [32, 16] && loaded.config.activation == .relu)
        #expect(loaded.config.gaeLambda == 0.95)
        #expect(loaded.config.gamma == TrainingConfig().gamma)
        #expect(loaded.keys == ["env", "lr", "t-max", "hidden", "activation", "gae-lambda"])
    }

    /// Runs of 0.1.0 wrote normalize-advantages as true for every algorithm, where only PPO read
    /// it: their A3C and A2C configs read back with it off, so a resumed run learns as it did.
    @Test func oldRunConfigsKeepAdvantagesAsTheyWere() throws {
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = RunDirectory(url: directory)
        for (version, algorithm, normalized) in [
            ("0.1.0", Algorithm.a3c, false), ("0.1.0", .a2c, false), ("0.1.0", .ppo, true), ("0.2.0", .a3c, true),
        ] {
            var config = TrainingConfig()
            config.algorithm = algorithm
            config.normalizeAdvantages = true
            try run.writeConfig(
                RunDirectory.ConfigFile(
                    packageVersion: version, created: "2026-12-01T00:00:00Z", resolvedTargetReturn: nil, parameterCount: 1,
                    config: config))
            #expect(try run.readConfig().config.normalizeAdvantages == normalized, "\(version) \(algorithm)")
        }
    }

    @Test func unknownKeysAndBadValuesAreRefused() throws {
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (text, mention) in [("lr: 0.001\nlearning_rate: 3\n", "learning_rate"), ("t-max: many\n", "t-max"), ("- a\n- b\n", "mapping")] {
            let url = directory.appendingPathComponent("bad.yaml")
            try text.write(to: url, atomically: true, encoding: .utf8)
            do {
                _ = try TrainingConfigFile.load(url)
                Issue.record("accepted \(text)")
            } catch {
                #expect("\(error)".contains(mention), "\(error)")
                #expect(!"\(error)".contains("\n"))
            }
        }
    }

    @Test func presetsInTheRepositoryParse() throws {
        let presets = PythonReader.root.appendingPathComponent("configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: presets.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 5)
        for file in files {
            let loaded = try TrainingConfigFile.load(presets.appendingPathComponent(file))
            try loaded.config.validate()
        }
    }

    /// A preset that says it holds the defaults holds them: each key it names has the value
    /// `a3c train --env ID` uses without a config (a PPO preset: `a3c train --env ID --algo ppo`).
    @Test func presetsThatClaimTheDefaultsHoldThem() throws {
        let presets = PythonReader.root.appendingPathComponent("configs")
        var checked = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: presets.path) where file.hasSuffix(".yaml") {
            let url = presets.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let ppo = text.contains("--algo ppo` uses without a config")
            guard ppo || text.contains("uses without a config") else { continue }
            let loaded = try TrainingConfigFile.load(url)
            let defaults = TrainingConfig.defaults(for: loaded.config.environmentID, network: nil, algorithm: ppo ? .ppo : nil)
            for key in loaded.keys {
                let one = defaults.merging(loaded.config, keys: [key])
                #expect(one == defaults, "\(file): \(key) differs from the defaults")
            }
            checked += 1
        }
        #expect(checked >= 6)
    }

    @Test func learningCurveSVG() throws {
        let ticks = LearningCurvePlot.niceTicks(-21, 21)
        #expect(ticks.first! <= -21 && ticks.last! >= 21 && ticks.count <= 8)
    }
}
