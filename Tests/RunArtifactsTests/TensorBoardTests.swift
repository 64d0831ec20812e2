import Foundation
import RunArtifacts
import Testing

@Suite("TensorBoard event files")
struct TensorBoardTests {
    @Test func crc32cKnownValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func tensorBoardsOwnReaderGetsTheScalars() throws {
        let directory = try PythonReader.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try TensorBoardWriter(directory: directory)
        for step in stride(from: 0, to: 1000, by: 100) {
            try writer.addScalars(
                [("episode/return", Double(step) / 10 + 0.25), ("loss/value", 1 / Double(step + 1))], step: step)
        }
        try writer.addScalars([("train/learning_rate", 0.003)], step: 1234)
        try writer.flush()

        let json = try PythonReader.read("tensorboard", directory.path)
        let scalars = try #require(json["scalars"] as? [String: [[Double]]])
        #expect(Set(scalars.keys) == ["episode/return", "loss/value", "train/learning_rate"])
        let returns = try #require(scalars["episode/return"])
        #expect(returns.map { Int($0[0]) } == Array(stride(from: 0, to: 1000, by: 100)))
        for point in returns { #expect(abs(point[1] - (point[0] / 10 + 0.25)) < 1e-4) }
        let values = try #require(scalars["loss/value"])
        for point in values { #expect(abs(point[1] - 1 / (point[0] + 1)) < 1e-6) }
        #expect(scalars["train/learning_rate"]?.first?[0] == 1234)
        #expect(abs((scalars["train/learning_rate"]?.first?[1] ?? 0) - 0.003) < 1e-7)
    }
}
