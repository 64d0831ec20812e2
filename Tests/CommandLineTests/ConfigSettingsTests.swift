import ActorCritic
import Foundation
import RunArtifacts
import Testing

/// The settings table: every hyper-parameter reaches config files, `config.json` and `a3c train`
/// under one key, and bad values are one-line errors.
@Suite("Settings table")
struct ConfigSettingsTests {
    /// A value other than the default for every setting, as a command-line argument; valid together
    /// (a bridged id: no native or Atari environment takes every picture option; one with continuous
    /// actions, for --std, outside the known continuous families, which refuse picture options).
    static var samples: [String: String] {
        [
            "env": "gym:Pendulum-v1", "workers": "\(TrainingConfig.defaultWorkers + 1)", "steps": "3000", "seed": "7",
            "lr": "0.002", "t-max": "5", "gamma": "0.95", "entropy-beta": "0.02", "value-coef": "0.5",
            "max-grad-norm": "20", "gae-lambda": "0.95", "optimizer": "adam", "rmsprop-alpha": "0.9",
            "rmsprop-epsilon": "0.01", "adam-epsilon": "0.000001", "target-return": "100000", "network": "mlp-lstm",
            "hidden": "16,8", "activation": "relu", "picture-activation": "elu", "trunk": "separate", "std": "parameter", "initial-std": "0.5", "lstm-size": "32", "lstm-first": "true", "frame-size": "100x160", "frame-stack": "2", "frame-skip": "2",
            "noop-max": "10", "sticky-actions": "0.25", "atari-host": "python", "precision": "fp32", "clip-rewards": "false", "subtract-background": "true", "episodic-life": "false",
            "fire-reset": "false", "crop": "1,2,3,4", "algo": "ppo", "epochs": "2", "minibatches": "2", "clip-range": "0.2",
            "clip-range-schedule": "linear", "clip-value-loss": "false", "normalize-advantages": "true", "target-kl": "0.02", "envs-per-worker": "2", "lr-schedule": "constant",
            "reward-scale": "0.5", "normalize-observations": "true", "normalize-rewards": "true", "max-host-restarts": "7", "eval-every": "50", "eval-episodes": "3", "eval-greedy": "true",
        ]
    }

    /// The defaults with every sample applied, through the table's own argument parsing.
    static func changedConfig() throws -> TrainingConfig {
        var config = TrainingConfig()
        for setting in TrainingConfig.settings {
            try setting.apply(argument: try #require(samples[setting.key], "no sample for \(setting.key)"), to: &config)
        }
        return config
    }

    static func jsonObject(_ config: TrainingConfig) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: JSONFiles.encode(config)) as? [String: Any] ?? [:]
    }

    static func isBool(_ setting: AnyConfigSetting) -> Bool { TrainingConfig()[keyPath: setting.keyPath] is Bool }

    @Test func keysAreUniqueAndEverySampleChangesItsSetting() throws {
        let keys = TrainingConfig.settings.map(\.key)
        #expect(Set(keys).count == keys.count, "duplicate keys in \(keys)")
        #expect(Set(keys) == Set(Self.samples.keys))
        for key in keys { #expect(key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(key)") }
        let changed = try Self.changedConfig()
        try changed.validate()
        for setting in TrainingConfig.settings {
            #expect(
                setting.argumentDescription(in: changed) != setting.argumentDescription(in: TrainingConfig()),
                "the sample leaves \(setting.key) at its default")
        }
    }

    @Test func jsonRoundTripKeepsEverySetting() throws {
        let changed = try Self.changedConfig()
        let decoded = try JSONDecoder().decode(TrainingConfig.self, from: JSONFiles.encode(changed))
        #expect(decoded == changed)
        #expect(try JSONDecoder().decode(TrainingConfig.self, from: JSONFiles.encode(TrainingConfig())) == TrainingConfig())
        // config.json from before the new settings: they take their defaults; unset optionals are absent.
        let old = try JSONDecoder().decode(TrainingConfig.self, from: Data(#"{"env": "Acrobot-v1", "t-max": 16}"#.utf8))
        #expect(old.environmentID == "Acrobot-v1" && old.tMax == 16 && old.envsPerWorker == 1 && old.evalEvery == nil)
        let defaults = try Self.jsonObject(TrainingConfig())
        #expect(defaults["gae-lambda"] == nil && defaults["target-return"] == nil && defaults["eval-every"] == nil)
    }

    @Test func mergingCopiesOnlyTheNamedKeys() throws {
        let changed = try Self.changedConfig()
        let merged = TrainingConfig().merging(changed, keys: ["t-max", "eval-every", "algo"])
        var expected = TrainingConfig()
        expected.tMax = changed.tMax
        expected.evalEvery = changed.evalEvery
        expected.algorithm = changed.algorithm
        #expect(merged == expected)
    }

    @Test func newSettingsAreChecked() throws {
        func message(_ change: (inout TrainingConfig) -> Void) -> String? {
            var config = TrainingConfig()
            change(&config)
            do {
                try config.validate()
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message { $0.envsPerWorker = 0 } == "--envs-per-worker must be between 1 and 4096, got 0")
        #expect(message { $0.envsPerWorker = 4097 } == "--envs-per-worker must be between 1 and 4096, got 4097")
        #expect(message { $0.evalEvery = 0 } == "--eval-every must be at least 1, got 0")
        #expect(message { $0.evalEpisodes = 0 } == "--eval-episodes must be between 1 and 10000, got 0")
        #expect(message { $0.rewardScale = 0 } == "--reward-scale must be positive, got 0.0")
        #expect(message { $0.rewardScale = .infinity } == "--reward-scale must be positive, got inf")
        #expect(
            message { $0.tMax = 20; $0.envsPerWorker = 2; $0.evalEvery = 39 }
                == "--eval-every must be at least one rollout (t-max x envs-per-worker = 40 steps), got 39")
        #expect(message { $0.tMax = 20; $0.envsPerWorker = 2; $0.evalEvery = 40 } == nil)
    }

    /// `a3c train` with `--KEY VALUE` (or `--KEY` / `--no-KEY`) for every setting writes them all to config.json.
    @Test func optionsSetEveryTableSetting() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-settings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        var arguments = ["train", "--out", out.path, "--quiet"]
        for setting in TrainingConfig.settings {
            let value = Self.samples[setting.key]!
            arguments += Self.isBool(setting) ? [value == "true" ? "--\(setting.key)" : "--no-\(setting.key)"] : ["--\(setting.key)", value]
        }
        let result = try CommandLineTests().run(arguments)
        #expect(result.status == 0, "\(result.standardError)")
        let written = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any])
        let config = try #require(written["config"] as? [String: Any])
        let expected = try Self.jsonObject(Self.changedConfig())
        let defaults = try Self.jsonObject(TrainingConfig())
        for setting in TrainingConfig.settings {
            let value = config[setting.key] as? NSObject
            #expect(value != nil && value == expected[setting.key] as? NSObject, "--\(setting.key): \(String(describing: value))")
            #expect(value != defaults[setting.key] as? NSObject, "--\(setting.key) left the default")
        }
        let help = try CommandLineTests().run(["train", "--help"]).standardOutput
        for setting in TrainingConfig.settings { #expect(help.contains("--\(setting.key)"), "help lacks --\(setting.key)") }
    }

    /// Every setting in a YAML config file, loaded directly and through `a3c train --config`.
    @Test func yamlConfigFileCarriesEverySetting() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let changed = try Self.changedConfig()
        let json = try Self.jsonObject(changed)
        // JSON scalars and lists are YAML flow values.
        let lines = try TrainingConfig.settings.map { setting in
            let value = try JSONSerialization.data(withJSONObject: try #require(json[setting.key]), options: .fragmentsAllowed)
            return "\(setting.key): \(String(decoding: value, as: UTF8.self))"
        }
        let file = base.appendingPathComponent("all.yaml")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)

        let loaded = try TrainingConfigFile.load(file)
        #expect(loaded.config == changed)
        #expect(loaded.keys == Set(TrainingConfig.settings.map(\.key)))

        // Options not given keep the file's values (optionals included); given ones win.
        let out = base.appendingPathComponent("run")
        let result = try CommandLineTests().run(["train", "--config", file.path, "--out", out.path, "--quiet", "--steps", "2000"])
        #expect(result.status == 0, "\(result.standardError)")
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        let config = try #require(written?["config"] as? [String: Any])
        for setting in TrainingConfig.settings where setting.key != "steps" {
            #expect(config[setting.key] as? NSObject == json[setting.key] as? NSObject, "\(setting.key)")
        }
        #expect(config["steps"] as? Int == 2000)
    }

    @Test(arguments: [
        (["--envs-per-worker", "0"], "--envs-per-worker must be between 1 and 4096, got 0"),
        (["--eval-every", "10", "--t-max", "20"], "--eval-every must be at least one rollout (t-max x envs-per-worker = 20 steps), got 10"),
        (["--eval-every", "0"], "--eval-every must be at least 1, got 0"),
        (["--reward-scale", "0"], "--reward-scale must be positive, got 0.0"),
        (["--algo", "sac"], "--algo"),
        (["--epochs", "3"], "--epochs applies to --algo ppo, not --algo a3c"),
        (["--lstm-first"], "--lstm-first applies to --network mlp-lstm, not --network auto"),
        (["--algo", "a2c", "--clip-range", "0.3", "--no-clip-value-loss"], "--clip-range, --clip-value-loss apply to --algo ppo, not --algo a2c"),
        (["--algo", "ppo", "--network", "mlp-lstm", "--envs-per-worker", "6"],
         "--minibatches 4: a recurrent network's minibatches are whole environments, and --envs-per-worker 6 is not a multiple of it"),
        (["--algo", "ppo", "--minibatches", "300"], "--minibatches 300 is more than a worker's rollout of t-max x envs-per-worker = 256 rows"),
        (["--algo", "a2c", "--eval-every", "100", "--t-max", "5", "--workers", "2", "--envs-per-worker", "16"],
         "--eval-every must be at least one rollout (t-max x workers x envs-per-worker = 160 steps), got 100"),
        (["--algo", "a2c", "--workers", "1", "--envs-per-worker", "1"], "--algo a2c batches the environments of all workers"),
        (["--lr-schedule", "cosine"], "--lr-schedule"),
        // Options the task would ignore: σ for discrete actions (native and bridged), pictures' for
        // continuous control.
        (["--std", "parameter"], "--std parameter applies to continuous actions; CartPole-v1 has 2 discrete actions"),
        (["--env", "LunarLander-v3", "--std", "parameter"], "--std parameter applies to continuous actions; LunarLander-v3 has 4 discrete actions"),
        (["--env", "Pendulum-v1", "--noop-max", "5"], "--noop-max applies to pictures (Atari, ViZDoom); Pendulum-v1 has vector observations"),
        (["--env", "HalfCheetah-v5", "--frame-stack", "2"], "--frame-stack applies to pictures (Atari, ViZDoom); HalfCheetah-v5 has vector observations"),
    ])
    func badNewSettingsAreOneLineAndCreateNothing(arguments: [String], mention: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("a3c-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CommandLineTests().run(["train"] + arguments + ["--out", out.path])
        #expect(result.status != 0)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.standardError)")
        #expect(lines.first?.hasPrefix("a3c: error:") == true)
        #expect(result.standardError.contains(mention), "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
