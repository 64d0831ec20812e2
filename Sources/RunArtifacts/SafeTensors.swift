import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range (plus string metadata under "__metadata__"),
/// then the raw little-endian data. Only float32 tensors are written and read here.
public enum SafeTensors {
    /// One named float32 tensor.
    public struct Tensor: Sendable, Equatable {
        /// Dimensions, outermost first.
        public var shape: [Int]
        /// The elements, row-major; as many as the product of `shape`.
        public var values: [Float]

        /// A tensor; `values` must fill `shape` exactly.
        public init(shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
            self.shape = shape
            self.values = values
        }
    }

    /// A file's contents.
    public struct File: Sendable {
        /// Tensors in file order.
        public var tensors: [(name: String, tensor: Tensor)]
        /// String metadata (the header's "__metadata__").
        public var metadata: [String: String]

        /// A file of `tensors`, in that order, and `metadata`.
        public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
            self.tensors = tensors
            self.metadata = metadata
        }

        /// The first tensor named `name`, or nil.
        public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }
    }

    /// The bytes of a safetensors file.
    public static func encode(_ file: File) throws -> Data {
        var header: [String: Any] = [:]
        if !file.metadata.isEmpty { header["__metadata__"] = file.metadata }
        var offset = 0
        for (name, tensor) in file.tensors {
            guard name != "__metadata__", header[name] == nil else { throw ArtifactError("duplicate tensor name \(name)") }
            let bytes = tensor.values.count * 4
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, tensor) in file.tensors {
            tensor.values.withUnsafeBufferPointer { values in
                // Float32 is little-endian on every platform this builds for.
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(values.baseAddress!).assumingMemoryBound(to: UInt8.self), count: values.count * 4))
            }
        }
        return data
    }

    /// Writes `file` to `url` atomically.
    public static func write(_ file: File, to url: URL) throws {
        try AtomicFile.write(try encode(file), to: url)
    }

    /// Reads and checks a safetensors file; any inconsistency is a one-line error naming the file.
    public static func read(_ url: URL) throws -> File {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ArtifactError("cannot read checkpoint \(url.path): \(FileManager.default.fileExists(atPath: url.path) ? "unreadable" : "no such file")")
        }
        return try decode(data, name: url.path)
    }

    /// Parses the bytes of a safetensors file.
    public static func decode(_ data: Data, name: String) throws -> File {
        func corrupt(_ why: String) -> ArtifactError { ArtifactError("checkpoint \(name) is corrupt or truncated: \(why)") }
        guard data.count >= 8 else { throw corrupt("\(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength >= 2, headerLength <= UInt64(data.count - 8), headerLength < 100_000_000 else {
            throw corrupt("header length \(headerLength) does not fit in \(data.count) bytes")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw corrupt("the header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataCount = data.count - dataStart
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let strings = raw as? [String: String] else { throw corrupt("__metadata__ is not a map of strings") }
            metadata = strings
        }
        var entries: [(name: String, begin: Int, end: Int, shape: [Int])] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw corrupt("tensor \(name) has no valid dtype, shape and data_offsets") }
            guard dtype == "F32" else { throw ArtifactError("checkpoint \(name): tensor dtype \(dtype) is not supported (F32 only)") }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= dataCount else {
                throw corrupt("tensor \(name) lies outside the file's \(dataCount) data bytes")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataCount else { throw corrupt("tensor \(name) has an impossible shape \(shape)") }
                elements = product
            }
            guard offsets[1] - offsets[0] == elements * 4 else {
                throw corrupt("tensor \(name) has \(offsets[1] - offsets[0]) bytes for shape \(shape)")
            }
            entries.append((name, offsets[0], offsets[1], shape))
        }
        entries.sort { $0.begin < $1.begin }
        var tensors: [(name: String, tensor: Tensor)] = []
        for entry in entries {
            let count = (entry.end - entry.begin) / 4
            var values = [Float](repeating: 0, count: count)
            _ = values.withUnsafeMutableBytes { target in
                data.copyBytes(to: target, from: (dataStart + entry.begin)..<(dataStart + entry.end))
            }
            tensors.append((entry.name, Tensor(shape: entry.shape, values: values)))
        }
        return File(tensors: tensors, metadata: metadata)
    }
}
