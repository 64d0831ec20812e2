import Foundation

/// Where the Python side of the Gymnasium bridge lives: the interpreter of the project's `.venv`
/// (made by scripts/setup.sh) and `python/a3c_env_host.py`. `A3C_PYTHON` and `A3C_ENV_HOST`
/// override them.
public enum BridgeLocation {
    /// The checkout this binary was built from.
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    public static var python: String {
        if let path = ProcessInfo.processInfo.environment["A3C_PYTHON"], !path.isEmpty { return path }
        let venv = projectRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    public static var hostScript: String {
        if let path = ProcessInfo.processInfo.environment["A3C_ENV_HOST"], !path.isEmpty { return path }
        return projectRoot.appendingPathComponent("python/a3c_env_host.py").path
    }
}
