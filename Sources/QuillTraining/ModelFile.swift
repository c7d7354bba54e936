import Foundation
import QuillModels
import QuillNN
import QuillTensor
import QuillText

/// A model as one safetensors file: weights, and in its metadata the model kind, configuration,
/// tokenizer and training state. It is enough to sample, evaluate, resume or share a model.
///
/// Optimizer state (for `--resume`) is stored beside the weights under `optimizer.` names.
public struct ModelFile {
    /// Which model the file holds.
    public var kind: ModelKind
    /// The model's configuration as JSON.
    public var configuration: String
    /// The tokenizer or vocabulary, serialized as the tokenizer's own file format.
    public var tokenizer: String
    /// The training state as JSON (progress, options, random state, data position); nil for a
    /// model imported from elsewhere.
    public var training: String?
    /// Parameters by checkpoint name.
    public var weights: [String: Tensor]
    /// Optimizer state tensors by name (without the `optimizer.` prefix).
    public var optimizerState: [String: Tensor]

    /// The file format version written in the metadata.
    public static let formatVersion = "1"
    private static let optimizerPrefix = "optimizer."

    /// Creates a model file in memory.
    public init(kind: ModelKind, configuration: String, tokenizer: String, training: String? = nil,
                weights: [String: Tensor], optimizerState: [String: Tensor] = [:]) {
        self.kind = kind
        self.configuration = configuration
        self.tokenizer = tokenizer
        self.training = training
        self.weights = weights
        self.optimizerState = optimizerState
    }

    /// The number of scalars the model learned, counted as its training log counts them: a
    /// GPT's `lm_head.weight` (its token embedding, saved a second time under nanoGPT's name)
    /// and running statistics (saved, not trained) are left out.
    public var parameterCount: Int {
        weights.reduce(0) { total, entry in
            let repeated = kind == .gpt && entry.key == GPT.headName
            return repeated || MeanBatchNorm.isRunningStatistic(entry.key) ? total : total + entry.value.count
        }
    }

    /// The tokenizer the model's ids belong to; `source` names the file in errors.
    public func decodeTokenizer(source: String) throws -> any Tokenizer {
        try TokenizerFile.decode(Array(tokenizer.utf8), source: source)
    }

    /// Where the training recorded in this file stood when it was saved; nil when the file
    /// records none (a model imported from elsewhere) or its record cannot be read.
    public var trainingProgress: TrainingProgress? {
        training.flatMap { try? JSONDecoder().decode(TrainingProgressEnvelope.self, from: Data($0.utf8)).progress }
    }

    /// Writes the file atomically, in `precision` (float32 unless told): a crash never leaves a
    /// half-written file in place of a good one.
    public func write(to path: String, precision: SafeTensors.Precision = .float32) throws {
        var tensors = weights
        for (name, tensor) in optimizerState { tensors[Self.optimizerPrefix + name] = tensor }
        var metadata = [
            "quill.format": Self.formatVersion,
            "quill.kind": kind.rawValue,
            "quill.configuration": configuration,
            "quill.tokenizer": tokenizer,
        ]
        if let training { metadata["quill.training"] = training }
        try SafeTensors.write(tensors, metadata: metadata, to: path, precision: precision)
    }

    /// Reads a Quill model file, with errors that name the file and the problem.
    public static func read(_ path: String) throws -> ModelFile {
        guard FileManager.default.fileExists(atPath: path) else { throw ModelFileError.missing(path) }
        let (tensors, metadata) = try SafeTensors.read(path)
        guard let kindName = metadata["quill.kind"] else { throw ModelFileError.notAQuillModel(path) }
        if let format = metadata["quill.format"], format != formatVersion { throw ModelFileError.unknownFormat(path, format) }
        guard let kind = ModelKind(rawValue: kindName) else { throw ModelFileError.unknownKind(path, kindName) }
        guard let configuration = metadata["quill.configuration"], let tokenizer = metadata["quill.tokenizer"] else {
            throw ModelFileError.incomplete(path, missing: metadata["quill.configuration"] == nil ? "configuration" : "tokenizer")
        }
        var weights: [String: Tensor] = [:], optimizer: [String: Tensor] = [:]
        for (name, tensor) in tensors {
            if name.hasPrefix(optimizerPrefix) {
                optimizer[String(name.dropFirst(optimizerPrefix.count))] = tensor
            } else {
                // NaN or infinite weights only ever come from a damaged file or a diverged run,
                // and every figure and sample computed from them would be NaN.
                if UnsafeBufferPointer(start: tensor.data, count: tensor.count).contains(where: { !$0.isFinite }) {
                    throw ModelFileError.nonFiniteWeights(path, tensor: name)
                }
                weights[name] = tensor
            }
        }
        try checkSizes(of: configuration, against: weights, path: path)
        return ModelFile(kind: kind, configuration: configuration, tokenizer: tokenizer,
                         training: metadata["quill.training"], weights: weights, optimizerState: optimizer)
    }

    /// Throws when a whole number in `configuration` is negative, or larger than both the largest
    /// dimension of any weight and the number of weights. Every whole number in a configuration
    /// is a size that some weight has as a dimension (or is at most one, as the head count is at
    /// most the width), or a count of layers or levels, each with weights of its own. So such a
    /// value comes from a damaged file, and building the model from it would exhaust memory
    /// before any shape check.
    static func checkSizes(of configuration: String, against weights: [String: Tensor], path: String) throws {
        guard let fields = try? JSONSerialization.jsonObject(with: Data(configuration.utf8)) as? [String: Any] else { return }
        // An empty weight vouches for no size: a dimension beside a zero costs the file no bytes.
        let bound = max(weights.count, weights.values.lazy.filter { $0.count > 0 }.flatMap(\.shape).max() ?? 0)
        for key in fields.keys.sorted() {
            // Booleans arrive as the numbers 0 and 1, within any bound.
            guard let number = fields[key] as? NSNumber else { continue }
            let value = number.doubleValue
            guard value == value.rounded(), value < 0 || value > Double(bound) else { continue }
            throw ModelFileError.implausibleSize(path, field: key, value: value, largest: bound)
        }
    }

    /// Reads a model file and checks that it holds one of `kinds`.
    public static func read(_ path: String, expecting kinds: [ModelKind], purpose: String) throws -> ModelFile {
        let file = try read(path)
        guard kinds.contains(file.kind) else {
            throw ModelFileError.wrongKind(path, found: file.kind, expected: kinds, purpose: purpose)
        }
        return file
    }

    /// Decodes the configuration JSON as `type`.
    public func decodeConfiguration<C: Decodable>(_ type: C.Type, path: String) throws -> C {
        do {
            return try JSONDecoder().decode(C.self, from: Data(configuration.utf8))
        } catch {
            throw ModelFileError.badConfiguration(path, JSONString.describe(error))
        }
    }
}

/// Encodes `value` as compact JSON with sorted keys, for model-file metadata.
public func metadataJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Problems with a model file, each naming the file and the fix.
public enum ModelFileError: LocalizedError, Equatable {
    case missing(String)
    case notAQuillModel(String)
    case unknownKind(String, String)
    case incomplete(String, missing: String)
    case wrongKind(String, found: ModelKind, expected: [ModelKind], purpose: String)
    case badConfiguration(String, String)
    case nonFiniteWeights(String, tensor: String)
    case unknownFormat(String, String)
    case implausibleSize(String, field: String, value: Double, largest: Int)

    public var errorDescription: String? {
        switch self {
        case .missing(let path):
            "\(path): no such model file. Train one with `quill train KIND --output \(path)`."
        case .notAQuillModel(let path):
            "\(path) is a safetensors file but not a Quill model (no quill.kind metadata). Train a model with `quill train`."
        case .unknownKind(let path, let kind):
            "\(path) holds a model of kind \"\(kind)\", which this version of Quill does not know. Upgrade Quill."
        case .incomplete(let path, let missing):
            "\(path) has no \(missing) in its metadata, so it cannot be used. Re-train or re-export it."
        case .wrongKind(let path, let found, let expected, let purpose):
            "\(path) is a \(found.rawValue) model, but \(purpose) needs \(expected.map(\.rawValue).joined(separator: " or "))."
        case .implausibleSize(let path, let field, let value, let largest):
            "\(path): its configuration says \(field) = \(formatWhole(value)), "
                + (value < 0 ? "which cannot be negative" : "but no weight in the file is that large (the largest dimension is \(largest))")
                + ". The file is damaged; load an earlier checkpoint, or re-train."
        case .unknownFormat(let path, let format):
            "\(path) is in Quill model format \"\(format)\"; this version of Quill reads format \"\(ModelFile.formatVersion)\". Use the Quill that wrote it, or a newer one."
        case .nonFiniteWeights(let path, let tensor):
            "\(path): tensor \(tensor) holds NaN or infinite values, so the model cannot be used. Load an earlier checkpoint, or re-train."
        case .badConfiguration(let path, let detail):
            "\(path) has a configuration this version cannot read (\(detail)). Re-train it."
        }
    }
}

/// A whole number as text without a fraction, however large.
private func formatWhole(_ value: Double) -> String {
    abs(value) < 1e15 ? String(Int(value)) : String(format: "%.0f", value)
}
