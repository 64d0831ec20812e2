import Foundation

/// How the project's JSON files look: pretty, sorted keys, slashes as they are ("ALE/Pong-v5").
public enum JSONFiles {
    /// Encodes `value` the project's way: pretty-printed, keys sorted, slashes unescaped.
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
