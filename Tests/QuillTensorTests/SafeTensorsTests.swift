import Foundation
import Testing
import QuillTensor
import TestSupport

/// A safetensors file written by Python, described in Fixtures/safetensors/expected.json.
struct SafeTensorsFixture: Decodable {
    struct Entry: Decodable { let name: String; let dtype: String; let shape: [Int]; let values: [Double] }
    let metadata: [String: String]
    let tensors: [Entry]

    static let all: [String: SafeTensorsFixture] = {
        let data = try! Data(contentsOf: fixtureURL("safetensors/expected.json"))
        return try! JSONDecoder().decode([String: SafeTensorsFixture].self, from: data)
    }()

    var tensorsByName: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, Tensor($0.values.map(Float.init), shape: $0.shape)) })
    }
}

@Suite struct SafeTensorsTests {
    @Test(arguments: ["float32", "mixed"])
    func readsFilesWrittenByPython(_ name: String) throws {
        let fixture = SafeTensorsFixture.all[name]!
        let file = try SafeTensors.read(fixtureURL("safetensors/\(name).safetensors").path)
        #expect(file.metadata == fixture.metadata)
        #expect(Set(file.tensors.keys) == Set(fixture.tensors.map(\.name)))
        for entry in fixture.tensors {
            let tensor = try #require(file.tensors[entry.name])
            #expect(tensor.shape == entry.shape, "\(entry.name)")
            #expect(tensor.toArray().map(\.bitPattern) == entry.values.map { Float($0).bitPattern }, "\(entry.name) (\(entry.dtype))")
        }
    }

    @Test func writesTheSameBytesAsPython() throws {
        let fixture = SafeTensorsFixture.all["float32"]!
        let directory = try TemporaryDirectory()
        let path = directory.path("quill.safetensors")
        try SafeTensors.write(fixture.tensorsByName, metadata: fixture.metadata, to: path)
        let python = try Data(contentsOf: fixtureURL("safetensors/float32.safetensors"))
        let quill = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(quill == python)
    }

    @Test func roundTripsStridedTensorsAndEmptyMetadata() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("round.safetensors")
        var generator = RandomGenerator(seed: 3)
        let base = Tensor.normal([3, 4], using: &generator)
        let transposed = Tensor(storage: base.storage, shape: [4, 3], strides: [1, 4])
        let tensors = ["t": transposed, "big": Tensor.normal([70, 33], using: &generator), "zero": Tensor.zeros([0])]
        try SafeTensors.write(tensors, to: path)
        let file = try SafeTensors.read(path)
        #expect(file.metadata.isEmpty)
        for (name, tensor) in tensors {
            #expect(file.tensors[name]?.shape == tensor.shape && file.tensors[name]?.toArray() == tensor.toArray(), "\(name)")
        }
    }

    /// Half precision keeps every value a half can hold exactly (the F16 tensors Python wrote) and
    /// rounds the rest to the nearest half, ties to even, overflow to infinity.
    @Test func writesHalfPrecision() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("half.safetensors")
        let fixture = SafeTensorsFixture.all["mixed"]!
        let halves = fixture.tensors.filter { $0.dtype == "F16" }
        #expect(!halves.isEmpty)
        var tensors = Dictionary(uniqueKeysWithValues: halves.map { ($0.name, Tensor($0.values.map(Float.init), shape: $0.shape)) })
        let awkward: [Float] = [0.1, -1.0 / 3, 65504, 65520, -70000, 1e-8, 6e-8, 2049, 2051, 0]
        tensors["awkward"] = Tensor(awkward, shape: [awkward.count])
        try SafeTensors.write(tensors, metadata: ["k": "v"], to: path, precision: .float16)
        let file = try SafeTensors.read(path)
        #expect(file.metadata == ["k": "v"])
        for entry in halves {
            #expect(file.tensors[entry.name]?.toArray().map(\.bitPattern) == entry.values.map { Float($0).bitPattern }, "\(entry.name)")
        }
        let expected: [Float] = [0.099975586, -0.33325195, 65504, .infinity, -.infinity, 0, 5.9604645e-8, 2048, 2052, 0]
        #expect(file.tensors["awkward"]?.toArray() == expected)
        let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: path)).prefix(400), as: UTF8.self)
        #expect(header.contains("\"dtype\":\"F16\"") && !header.contains("F32"))
    }

    @Test func overwritingReplacesTheFileAndLeavesNoTemporaryFiles() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("model.safetensors")
        try SafeTensors.write(["a": Tensor([1, 2, 3])], metadata: ["step": "1"], to: path)
        try SafeTensors.write(["b": Tensor([4, 5])], metadata: ["step": "2"], to: path)
        let file = try SafeTensors.read(path)
        #expect(file.metadata == ["step": "2"] && Array(file.tensors.keys) == ["b"])
        #expect(try directory.contents() == ["model.safetensors"])
    }

    @Test func failedWritesThrowAndCleanUp() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path("no/such/dir/model.safetensors")
        let error = #expect(throws: CheckpointError.self) { try SafeTensors.write(["a": Tensor([1])], to: missing) }
        #expect(error.map { if case .writeFailed(missing, _) = $0 { true } else { false } } == true)
        // Renaming onto a directory fails after the data is written: the temporary file must go.
        let occupied = directory.path("occupied")
        try FileManager.default.createDirectory(atPath: occupied + "/inside", withIntermediateDirectories: true)
        #expect(throws: CheckpointError.self) { try SafeTensors.write(["a": Tensor([1])], to: occupied) }
        #expect(try directory.contents() == ["occupied"])
    }

    // MARK: Damaged and hostile files

    struct Damaged: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let matches: @Sendable (CheckpointError) -> Bool
        var testDescription: String { name }

        /// A file with `header` (padded like Python's) and `dataBytes` bytes of data.
        init(_ name: String, header: String, dataBytes: Int, lengthOverride: UInt64? = nil,
             _ matches: @escaping @Sendable (CheckpointError) -> Bool) {
            var json = Array(header.utf8)
            json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
            let length = lengthOverride ?? UInt64(json.count)
            self.init(name, bytes: withUnsafeBytes(of: length.littleEndian, Array.init) + json
                      + (0..<dataBytes).map { UInt8(truncatingIfNeeded: $0) }, matches)
        }

        init(_ name: String, bytes: [UInt8], _ matches: @escaping @Sendable (CheckpointError) -> Bool) {
            self.name = name
            self.bytes = bytes
            self.matches = matches
        }
    }

    static let invalidHeader: @Sendable (CheckpointError) -> Bool = { error in
        if case .invalidHeader = error { return true }
        return false
    }

    static let damaged: [Damaged] = [
        Damaged("empty file", bytes: []) { if case .truncated(_, 0) = $0 { true } else { false } },
        Damaged("shorter than the length prefix", bytes: [1, 0, 0]) { if case .truncated(_, 3) = $0 { true } else { false } },
        Damaged("header length past the end", header: #"{}"#, dataBytes: 0, lengthOverride: 9) {
            if case .headerLengthPastEnd(_, 9, 16) = $0 { true } else { false }
        },
        Damaged("header length near UInt64.max", header: #"{}"#, dataBytes: 0, lengthOverride: .max) {
            if case .headerLengthPastEnd = $0 { true } else { false }
        },
        Damaged("not JSON", header: "PK\u{03}\u{04}zip", dataBytes: 0, invalidHeader),
        Damaged("JSON cut short", header: #"{"a":{"dtype":"F32","#, dataBytes: 0, invalidHeader),
        Damaged("not an object", header: "[1, 2]", dataBytes: 0, invalidHeader),
        Damaged("unterminated string", header: #"{"a"#, dataBytes: 0, invalidHeader),
        Damaged("nested 10000 deep", header: #"{"a":"# + String(repeating: "[", count: 10_000), dataBytes: 0, invalidHeader),
        Damaged("garbage after the object", header: #"{} x"#, dataBytes: 0, invalidHeader),
        Damaged("unpaired surrogate escape", header: #"{"\ud800x":{}}"#, dataBytes: 0, invalidHeader),
        Damaged("invalid UTF-8 in a name", bytes: [8, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"?":{}}"#.utf8).map { $0 == 0x3F ? 0xFF : $0 },
                invalidHeader),
        Damaged("duplicate tensor", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataBytes: 8, invalidHeader),
        Damaged("metadata value not a string", header: #"{"__metadata__":{"step":5}}"#, dataBytes: 0, invalidHeader),
        Damaged("negative extent", header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataBytes: 4, invalidHeader),
        Damaged("fractional extent", header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, dataBytes: 4, invalidHeader),
        Damaged("offset too large for Int", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999999]}}"#, dataBytes: 4, invalidHeader),
        Damaged("three offsets", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, dataBytes: 4, invalidHeader),
        Damaged("missing dtype", header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4, invalidHeader),
        Damaged("unknown dtype", header: #"{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4) {
            $0 == .unsupportedDataType(path: $0.path, tensor: "a", dataType: "Q7")
        },
        Damaged("integer dtype", header: #"{"i":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, dataBytes: 16) {
            $0 == .unsupportedDataType(path: $0.path, tensor: "i", dataType: "I64")
        },
        Damaged("shape does not match bytes", header: #"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, dataBytes: 20) {
            $0 == .shapeMismatch(path: $0.path, tensor: "a", shape: [2, 3], dataType: "F32", byteCount: 20)
        },
        Damaged("shape overflows", header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, dataBytes: 4) {
            if case .shapeMismatch = $0 { true } else { false }
        },
        Damaged("end past the data", header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8) {
            $0 == .offsetsOutOfRange(path: $0.path, tensor: "a", begin: 0, end: 16, dataLength: 8)
        },
        Damaged("begin after end", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, dataBytes: 8) {
            $0 == .offsetsOutOfRange(path: $0.path, tensor: "a", begin: 8, end: 4, dataLength: 8)
        },
        Damaged("overlapping tensors", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12) {
            $0 == .nonContiguousOffsets(path: $0.path, tensor: "b", begin: 4, expected: 8)
        },
        Damaged("gap between tensors", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, dataBytes: 12) {
            $0 == .nonContiguousOffsets(path: $0.path, tensor: "b", begin: 8, expected: 4)
        },
        Damaged("bytes after the last tensor", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 6) {
            $0 == .trailingData(path: $0.path, used: 4, dataLength: 6)
        },
    ]

    @Test(arguments: damaged)
    func damagedFilesThrowATypedErrorNamingTheFile(_ c: Damaged) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("damaged.safetensors")
        writeFile(c.bytes, to: path)
        do {
            let file = try SafeTensors.read(path)
            Issue.record("read \(file.tensors.count) tensors from a damaged file")
        } catch let error as CheckpointError {
            #expect(c.matches(error), "\(error)")
            #expect(error.path == path)
            #expect(error.errorDescription?.hasPrefix(path) == true, "\(error.errorDescription ?? "")")
        }
    }

    @Test func missingFilesAndDirectoriesThrow() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path("absent.safetensors")
        #expect(throws: CheckpointError.fileNotFound(path: missing)) { try SafeTensors.read(missing) }
        #expect(throws: CheckpointError.unreadable(path: directory.url.path, reason: "not a regular file")) {
            try SafeTensors.read(directory.url.path)
        }
    }

    /// Every prefix of a valid file and seeded random corruptions: each throws or reads, never crashes.
    @Test func truncationsAndCorruptionsNeverCrash() throws {
        let original = try [UInt8](Data(contentsOf: fixtureURL("safetensors/float32.safetensors")))
        let directory = try TemporaryDirectory()
        let path = directory.path("fuzz.safetensors")
        for length in 0..<original.count {
            writeFile(Array(original[..<length]), to: path)
            #expect(throws: CheckpointError.self) { try SafeTensors.read(path) }
        }
        var generator = RandomGenerator(seed: 11)
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<1 + generator.nextInt(below: 4) {
                bytes[generator.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: generator.next())
            }
            writeFile(bytes, to: path)
            do { _ = try SafeTensors.read(path) } catch is CheckpointError {}
        }
    }
}

/// Writes `bytes` to a new file at `path` with stdio. Replacing rather than truncating the old
/// file avoids the flush ext4 forces on truncate-and-rewrite, which made these tests take seconds.
func writeFile(_ bytes: [UInt8], to path: String) {
    unlink(path)
    let file = fopen(path, "wb")!
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
}

extension CheckpointError {
    /// The file a reading error names.
    var path: String {
        switch self {
        case .fileNotFound(let path), .unreadable(let path, _), .truncated(let path, _), .headerLengthPastEnd(let path, _, _),
             .headerTooLarge(let path, _), .invalidHeader(let path, _), .unsupportedDataType(let path, _, _),
             .shapeMismatch(let path, _, _, _, _), .offsetsOutOfRange(let path, _, _, _, _),
             .nonContiguousOffsets(let path, _, _, _), .trailingData(let path, _, _), .writeFailed(let path, _):
            path
        case .invalidOptimizerState(let origin, _, _):
            origin
        }
    }
}
