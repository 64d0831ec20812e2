import Environments
import NeuralNet

/// A value a hyper-parameter can hold: read from a command-line argument, stored in config files as
/// itself (JSON/YAML), shown in help as `argumentDescription`.
public protocol ConfigValue: Codable, Hashable, Sendable {
    /// Parses a command-line argument (`"64,64"`, `"adam"`, `"0.25"`); nil if it is not one.
    init?(configArgument: String)
    /// How to write the value on the command line (also help's "default").
    var argumentDescription: String { get }
    /// What an argument must look like, for messages: "an integer", "one of tanh, relu".
    static var argumentExpectation: String { get }
    /// Reads `key` from a config file; nil when absent (the default stays).
    static func decodeSetting(from container: KeyedDecodingContainer<ConfigKey>, key: ConfigKey) throws -> Self?
    /// Writes the value under `key` (optionals: nothing when nil, as synthesized Codable did).
    func encodeSetting(to container: inout KeyedEncodingContainer<ConfigKey>, key: ConfigKey) throws
}

extension ConfigValue {
    /// Default: the value as Swift prints it.
    public var argumentDescription: String { "\(self)" }
    /// Default: the value under `key`, or nil when the file does not have it.
    public static func decodeSetting(from container: KeyedDecodingContainer<ConfigKey>, key: ConfigKey) throws -> Self? {
        try container.decodeIfPresent(Self.self, forKey: key)
    }
    /// Default: encodes the value under `key`.
    public func encodeSetting(to container: inout KeyedEncodingContainer<ConfigKey>, key: ConfigKey) throws {
        try container.encode(self, forKey: key)
    }
}

extension Int: ConfigValue {
    /// Parses a decimal integer.
    public init?(configArgument: String) { self.init(configArgument) }
    /// "an integer", for messages.
    public static var argumentExpectation: String { "an integer" }
}

extension UInt64: ConfigValue {
    /// Parses a non-negative decimal integer.
    public init?(configArgument: String) { self.init(configArgument) }
    /// "a non-negative integer", for messages.
    public static var argumentExpectation: String { "a non-negative integer" }
}

extension Float: ConfigValue {
    /// Parses a number as `Float(_:)` does ("0.25", "7e-4").
    public init?(configArgument: String) { self.init(configArgument) }
    /// "a number", for messages.
    public static var argumentExpectation: String { "a number" }
}

extension Double: ConfigValue {
    /// Parses a number as `Double(_:)` does ("0.25", "7e-4").
    public init?(configArgument: String) { self.init(configArgument) }
    /// "a number", for messages.
    public static var argumentExpectation: String { "a number" }
}

extension Bool: ConfigValue {
    /// Accepts true, on, yes, 1 and false, off, no, 0, in any case.
    public init?(configArgument: String) {
        switch configArgument.lowercased() {
        case "true", "on", "yes", "1": self = true
        case "false", "off", "no", "0": self = false
        default: return nil
        }
    }
    /// "on" or "off", as help shows it.
    public var argumentDescription: String { self ? "on" : "off" }
    /// "true or false", for messages.
    public static var argumentExpectation: String { "true or false" }
}

extension String: ConfigValue {
    /// Takes the argument as it is.
    public init?(configArgument: String) { self = configArgument }
    /// "a string", for messages.
    public static var argumentExpectation: String { "a string" }
}

/// Lists of sizes: `64,64` on the command line, `[64, 64]` in files.
extension Array: ConfigValue where Element == Int {
    /// Parses comma-separated integers ("64,64"); nil if any part is not one.
    public init?(configArgument: String) {
        let values = configArgument.split(separator: ",")
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
        self = values.map { $0! }
    }
    /// The integers joined by commas, as the command line takes them.
    public var argumentDescription: String { map(String.init).joined(separator: ",") }
    /// "comma-separated integers", for messages.
    public static var argumentExpectation: String { "comma-separated integers" }
}

/// An optional setting: given means set; absent from a file means the default (nil, usually).
extension Optional: ConfigValue where Wrapped: ConfigValue {
    /// Parses the wrapped value: an argument given always sets it.
    public init?(configArgument: String) {
        guard let value = Wrapped(configArgument: configArgument) else { return nil }
        self = .some(value)
    }
    /// The wrapped value's description, or "off" when nil.
    public var argumentDescription: String { map(\.argumentDescription) ?? "off" }
    /// What the wrapped value's arguments must look like.
    public static var argumentExpectation: String { Wrapped.argumentExpectation }
    /// The wrapped value under `key`, or nil (the default stays) when the file does not have it.
    public static func decodeSetting(from container: KeyedDecodingContainer<ConfigKey>, key: ConfigKey) throws -> Self? {
        try container.decodeIfPresent(Wrapped.self, forKey: key).map { .some($0) }
    }
    /// Writes the wrapped value, or nothing when nil.
    public func encodeSetting(to container: inout KeyedEncodingContainer<ConfigKey>, key: ConfigKey) throws {
        try container.encodeIfPresent(self, forKey: key)
    }
}

/// Enums with string raw values: the raw value everywhere.
extension ConfigValue where Self: RawRepresentable & CaseIterable, RawValue == String {
    /// Accepts a case's raw value.
    public init?(configArgument: String) { self.init(rawValue: configArgument) }
    /// The case's raw value.
    public var argumentDescription: String { rawValue }
    /// Lists the raw values: "one of tanh, relu".
    public static var argumentExpectation: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
}

extension OptimizerKind: ConfigValue {}
extension NetworkArchitecture: ConfigValue {}
extension Activation: ConfigValue {}
extension Trunk: ConfigValue {}
extension Gaussian.Form: ConfigValue {}
extension Algorithm: ConfigValue {}
extension LearningRateSchedule: ConfigValue {}
extension AtariHost: ConfigValue {}
extension PrecisionSetting: ConfigValue {}

/// A config-file key built at run time from the settings table.
public struct ConfigKey: CodingKey, Sendable {
    /// The key, as written in files.
    public let stringValue: String
    /// A key named `stringValue`.
    public init(stringValue: String) { self.stringValue = stringValue }
    /// Config keys are never numbers.
    public var intValue: Int? { nil }
    /// Config keys are never numbers.
    public init?(intValue: Int) { nil }
}

/// A rule a setting's value must follow, with the message that says so.
public struct ConfigCheck<Value>: Sendable {
    /// Whether `value` is allowed.
    public let accepts: @Sendable (Value) -> Bool
    /// The message after the option's name: "must be positive, got -1".
    public let message: @Sendable (Value) -> String

    /// `requirement` ("must be positive") is followed by ", got VALUE" unless `showsValue` is false.
    public init(_ requirement: String, showsValue: Bool = true, _ accepts: @escaping @Sendable (Value) -> Bool) {
        self.accepts = accepts
        message = { value in showsValue ? "\(requirement), got \(value)" : requirement }
    }

    /// Anything goes.
    public static var anything: ConfigCheck { ConfigCheck("") { _ in true } }
}

extension ConfigCheck where Value: Comparable & Sendable {
    /// "must be between 1 and 1024".
    public static func between(_ low: Value, _ high: Value) -> ConfigCheck {
        ConfigCheck("must be between \(low) and \(high)") { $0 >= low && $0 <= high }
    }
}

extension ConfigCheck where Value: BinaryFloatingPoint & Sendable {
    /// Positive and finite.
    public static var positive: ConfigCheck { ConfigCheck("must be positive") { $0 > 0 && $0.isFinite } }
    /// Zero or more, finite.
    public static var nonNegative: ConfigCheck { ConfigCheck("must be non-negative") { $0 >= 0 && $0.isFinite } }
}

/// One hyper-parameter: where it lives in `TrainingConfig`, its key (in config files, `config.json`
/// and as the long option of `a3c train`), its help, and the rule its values follow.
public struct ConfigSetting<Value: ConfigValue>: @unchecked Sendable {  // key paths are immutable
    /// Where the value lives.
    public let keyPath: WritableKeyPath<TrainingConfig, Value>
    /// Config-file key and long option name (`t-max`).
    public let key: String
    /// One or two sentences for `a3c train --help`, without the default.
    public let help: String
    /// Help's "(default: ...)" when the plain default says too little (computed defaults, say).
    public let defaultHelp: String?
    /// The values allowed, and the message for the others.
    public let check: ConfigCheck<Value>
    /// Reads a command-line argument; `Value(configArgument:)` unless the setting has its own syntax.
    public let parse: @Sendable (String) -> Value?
    /// What `parse` wants, for its error message.
    public let expectation: String

    /// A row of `TrainingConfig.settings`; `parse` and `expectation` only for a syntax of its own.
    public init(
        _ keyPath: WritableKeyPath<TrainingConfig, Value>, _ key: String, _ help: String, defaultHelp: String? = nil,
        check: ConfigCheck<Value> = .anything,
        parse: (@Sendable (String) -> Value?)? = nil, expectation: String? = nil
    ) {
        self.keyPath = keyPath
        self.key = key
        self.help = help
        self.defaultHelp = defaultHelp
        self.check = check
        self.parse = parse ?? { Value(configArgument: $0) }
        self.expectation = expectation ?? Value.argumentExpectation
    }
}

extension ConfigSetting {
    /// Checks the value only when it is set.
    public init<Wrapped>(
        _ keyPath: WritableKeyPath<TrainingConfig, Value>, _ key: String, _ help: String, defaultHelp: String? = nil,
        ifSet check: ConfigCheck<Wrapped>
    ) where Value == Wrapped? {
        self.init(
            keyPath, key, help, defaultHelp: defaultHelp,
            check: ConfigCheck<Value>(accepts: { $0.map(check.accepts) ?? true }, message: { $0.map(check.message) ?? "" }))
    }
}

extension ConfigCheck {
    fileprivate init(accepts: @escaping @Sendable (Value) -> Bool, message: @escaping @Sendable (Value) -> String) {
        self.accepts = accepts
        self.message = message
    }
}

/// A `ConfigSetting` of any value type: what the table holds and what Codable, merging, validation
/// and the command line go through. (Unchecked: its key path is an immutable value.)
public struct AnyConfigSetting: @unchecked Sendable {
    /// Config-file key and long option name.
    public let key: String
    /// Help text, without the default.
    public let help: String
    /// Where the value lives in `TrainingConfig`.
    public let keyPath: AnyKeyPath
    // The type-specific work, captured from the typed setting.
    private let _decode: @Sendable (KeyedDecodingContainer<ConfigKey>, inout TrainingConfig) throws -> Void
    private let _encode: @Sendable (TrainingConfig, inout KeyedEncodingContainer<ConfigKey>) throws -> Void
    private let _copy: @Sendable (TrainingConfig, inout TrainingConfig) -> Void
    private let _validate: @Sendable (TrainingConfig) -> String?
    private let _apply: @Sendable (String, inout TrainingConfig) -> Bool
    private let _describe: @Sendable (TrainingConfig) -> String
    private let _defaultHelp: String?
    /// What a command-line argument must look like: "an integer", "SIDE or HEIGHTxWIDTH".
    public let expectation: String

    /// Erases `setting`'s value type, capturing how to decode, encode, copy, check and parse it.
    public init<Value>(_ setting: ConfigSetting<Value>) {
        let key = ConfigKey(stringValue: setting.key)
        self.key = setting.key
        help = setting.help
        self.keyPath = setting.keyPath
        _defaultHelp = setting.defaultHelp
        expectation = setting.expectation
        _decode = { container, config in
            if let value = try Value.decodeSetting(from: container, key: key) { config[keyPath: setting.keyPath] = value }
        }
        _encode = { config, container in try config[keyPath: setting.keyPath].encodeSetting(to: &container, key: key) }
        _copy = { source, target in target[keyPath: setting.keyPath] = source[keyPath: setting.keyPath] }
        _validate = { config in
            let value = config[keyPath: setting.keyPath]
            return setting.check.accepts(value) ? nil : "--\(setting.key) \(setting.check.message(value))"
        }
        _apply = { text, config in
            guard let value = setting.parse(text) else { return false }
            config[keyPath: setting.keyPath] = value
            return true
        }
        _describe = { config in config[keyPath: setting.keyPath].argumentDescription }
    }

    func decode(from container: KeyedDecodingContainer<ConfigKey>, into config: inout TrainingConfig) throws {
        try _decode(container, &config)
    }

    func encode(_ config: TrainingConfig, to container: inout KeyedEncodingContainer<ConfigKey>) throws {
        try _encode(config, &container)
    }

    /// Copies this setting's value from `source` into `target`.
    public func copy(from source: TrainingConfig, to target: inout TrainingConfig) { _copy(source, &target) }

    /// The message for `config`'s value, or nil when it is allowed.
    public func problem(in config: TrainingConfig) -> String? { _validate(config) }

    /// Sets this setting in `config` from a command-line argument.
    public func apply(argument: String, to config: inout TrainingConfig) throws(ConfigurationError) {
        guard _apply(argument, &config) else {
            throw ConfigurationError("--\(key) must be \(expectation), got '\(argument)'")
        }
    }

    /// The value in `config` as it would be written on the command line.
    public func argumentDescription(in config: TrainingConfig) -> String { _describe(config) }

    /// Help's default: the setting's own words, or the default value.
    public var defaultHelp: String { _defaultHelp ?? argumentDescription(in: TrainingConfig()) }
}
