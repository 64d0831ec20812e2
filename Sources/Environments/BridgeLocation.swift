import Foundation

/// Where the Python side of the Gymnasium bridge lives: an interpreter with Gymnasium and the host
/// script `a3c_env_host.py`. Looked for, in order:
/// 1. `A3C_PYTHON` and `A3C_ENV_HOST`;
/// 2. beside the binary, as `scripts/install.sh` lays it out: `PREFIX/bin/a3c` with
///    `PREFIX/share/swift-a3c/venv/bin/python` and `PREFIX/share/swift-a3c/python/`;
/// 3. the checkout the binary was built from (`.venv` made by scripts/setup.sh, `python/`).
public enum BridgeLocation {
    /// The checkout this binary was built from (it may have moved or gone since).
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `PREFIX/share/swift-a3c` for a binary in `PREFIX/bin`.
    static var installedRoot: URL? {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
        return executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/swift-a3c")
    }

    /// Candidate (interpreter, host script) pairs, in the order they are tried.
    static var candidates: [(python: String, script: String)] {
        var pairs: [(String, String)] = []
        if let root = installedRoot {
            pairs.append((root.appendingPathComponent("venv/bin/python").path, root.appendingPathComponent("python/a3c_env_host.py").path))
        }
        pairs.append((projectRoot.appendingPathComponent(".venv/bin/python").path, projectRoot.appendingPathComponent("python/a3c_env_host.py").path))
        return pairs
    }

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The interpreter to run hosts with.
    public static var python: String {
        if let path = environment["A3C_PYTHON"], !path.isEmpty { return path }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.python) }) {
            return found.python
        }
        return "/usr/bin/python3"
    }

    /// The host script.
    public static var hostScript: String {
        if let path = environment["A3C_ENV_HOST"], !path.isEmpty { return path }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.script) }) {
            return found.script
        }
        return candidates.last!.script
    }

    /// The native Atari host (`native/ale-host`, built by scripts/setup.sh), if built: `A3C_ALE_HOST`,
    /// else `PREFIX/share/swift-a3c/ale-host/` beside an installed binary, else the checkout's
    /// `.build/ale-host/`.
    public static var nativeAtariHost: String? {
        if let path = environment["A3C_ALE_HOST"], !path.isEmpty {
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }
        var candidates: [String] = []
        if let root = installedRoot { candidates.append(root.appendingPathComponent("ale-host/a3c-ale-host").path) }
        candidates.append(projectRoot.appendingPathComponent(".build/ale-host/a3c-ale-host").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// What is missing for the bridge to start, in one line, or nil when both parts are there.
    public static var missingPart: String? {
        let python = python, script = hostScript
        let looked = candidates.map { $0.python }.joined(separator: ", ")
        if !FileManager.default.isExecutableFile(atPath: python) {
            return "no Python for the Gymnasium bridge at \(python) (looked at A3C_PYTHON, \(looked)); "
                + "run scripts/install.sh or scripts/setup.sh"
        }
        if !FileManager.default.fileExists(atPath: script) {
            return "the Gymnasium host script \(script) is missing (set A3C_ENV_HOST, or run scripts/install.sh)"
        }
        return nil
    }
}
