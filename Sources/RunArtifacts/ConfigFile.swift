import ActorCritic
import Foundation
import Yams

/// `a3c train --config FILE.yaml`: keys are the long option names of `a3c train` (`env`, `lr`,
/// `t-max`, `hidden`, ...). Unknown keys are an error, so a typo never passes silently.
public enum TrainingConfigFile {
    /// The keys a config file may use.
    public static var allowedKeys: [String] { TrainingConfig.settingKeys }

    /// A parsed file: the config (keys it does not name keep their defaults) and the keys it names.
    public struct Loaded: Sendable {
        /// The configuration, with defaults for the keys the file does not name.
        public var config: TrainingConfig
        /// The keys the file names.
        public var keys: Set<String>
    }

    /// Parses `url`.
    public static func load(_ url: URL) throws -> Loaded {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ArtifactError("cannot read config file \(url.path)")
        }
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw ArtifactError("config file \(url.path) is not valid YAML")
        }
        guard let mapping = node as? [String: Any] else {
            throw ArtifactError("config file \(url.path) must be a mapping of option names to values")
        }
        let unknown = mapping.keys.filter { !allowedKeys.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ArtifactError(
                "config file \(url.path): unknown key\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")); "
                    + "known keys: \(allowedKeys.joined(separator: ", "))")
        }
        do {
            return Loaded(config: try YAMLDecoder().decode(TrainingConfig.self, from: text), keys: Set(mapping.keys))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ArtifactError("config file \(url.path): bad value for \(key.isEmpty ? "a key" : key)")
        } catch {
            throw ArtifactError("config file \(url.path): \(error)")
        }
    }
}
