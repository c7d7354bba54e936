import Foundation
import QuillTensor

/// Weights as nanoGPT's PyTorch state dict, so checkpoints move between Quill and PyTorch.
///
/// Names are nanoGPT's: `transformer.wte.weight`, `transformer.wpe.weight`,
/// `transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}.{weight, bias}`,
/// `transformer.ln_f.{weight, bias}` and `lm_head.weight`, all with PyTorch's shapes
/// (a Linear's weight is [out, in]; `c_attn` is [3C, C]).
extension GPT {
    /// The parameters under nanoGPT's names, with `lm_head.weight` sharing the token embedding's
    /// storage as in nanoGPT's `state_dict()`.
    public func stateDictionary() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, tensor) in namedParameters() { result[name] = tensor }
        result[Self.headName] = tokenEmbedding
        return result
    }

    /// Copies the weights of a nanoGPT state dict into this model.
    ///
    /// Accepts `lm_head.weight` present (it must equal the token embedding, as tied weights do)
    /// or absent, the `_orig_mod.` prefix that `torch.compile` adds, and the causal-mask buffers
    /// (`attn.bias`) of nanoGPT's non-flash attention. Any other missing, extra or misshapen
    /// tensor throws, naming `origin`. Nothing changes unless every tensor fits.
    public func load(stateDictionary: [String: Tensor], origin: String) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in stateDictionary {
            let plain = name.hasPrefix(Self.compiledPrefix) ? String(name.dropFirst(Self.compiledPrefix.count)) : name
            if Self.isMaskBuffer(plain) { continue }
            tensors[plain] = tensor
        }
        let parameters = namedParameters()
        for (name, parameter) in parameters {
            guard let source = tensors[name] else { throw GPTError.missingTensor(origin: origin, name: name) }
            guard source.shape == parameter.shape else {
                throw GPTError.shapeMismatch(origin: origin, name: name, expected: parameter.shape, found: source.shape)
            }
        }
        if let head = tensors[Self.headName] {
            guard head.shape == tokenEmbedding.shape, let embedding = tensors["transformer.wte.weight"],
                  head.toArray() == embedding.toArray() else {
                throw GPTError.untiedHead(origin: origin)
            }
        }
        let known = Set(parameters.map(\.name) + [Self.headName])
        if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) {
            throw GPTError.unexpectedTensor(origin: origin, name: extra)
        }
        for (name, parameter) in parameters {
            let dense = tensors[name]!.copy()
            parameter.data.update(from: dense.data, count: parameter.count)
        }
    }

    /// Creates a model of `configuration` holding the weights of a nanoGPT state dict.
    public convenience init(configuration: Configuration, stateDictionary: [String: Tensor], origin: String) throws {
        var generator = RandomGenerator(seed: 0)
        self.init(configuration: configuration, generator: &generator)
        try load(stateDictionary: stateDictionary, origin: origin)
    }

    /// The output layer's name; its tensor is the token embedding's, saved twice.
    public static let headName = "lm_head.weight"
    static let compiledPrefix = "_orig_mod."

    /// Whether `name` is the lower-triangular mask nanoGPT registers as a buffer (`attn.bias`,
    /// or `attn.masked_bias` in GPT-2 exports), not a parameter.
    static func isMaskBuffer(_ name: String) -> Bool {
        name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias")
    }
}

/// Problems building, loading or running a GPT, each naming the file and the fix.
public enum GPTError: Error, Equatable, LocalizedError {
    case missingTensor(origin: String, name: String)
    case shapeMismatch(origin: String, name: String, expected: [Int], found: [Int])
    case untiedHead(origin: String)
    case unexpectedTensor(origin: String, name: String)
    case invalidConfiguration(origin: String, problem: String)
    case tokenizerMismatch(origin: String, tokenizerSize: Int, vocabularySize: Int)
    case emptyPrompt
    /// Beam search was asked of a model that samples.
    case beamSearch
    case corpusTooShort(path: String, tokens: Int, needed: Int)
    /// Sentences were to be scored by a GPT whose tokenizer cannot mark where a line starts.
    case noSentenceBoundary

    public var errorDescription: String? {
        switch self {
        case .missingTensor(let origin, let name):
            "\(origin) has no tensor \(name). It was saved by a different model or configuration; check n_layer and bias."
        case .shapeMismatch(let origin, let name, let expected, let found):
            "\(origin): tensor \(name) has shape \(found), but the configuration needs \(expected). Use the configuration the weights were trained with."
        case .untiedHead(let origin):
            "\(origin): lm_head.weight differs from transformer.wte.weight, but a GPT ties them. Export the model with tied weights."
        case .unexpectedTensor(let origin, let name):
            "\(origin) has a tensor \(name) that this GPT does not have. Check the configuration (n_layer, bias) it was saved with."
        case .invalidConfiguration(let origin, let problem):
            "\(origin): the GPT configuration is invalid (\(problem)). Fix the sizes and try again."
        case .tokenizerMismatch(let origin, let tokenizerSize, let vocabularySize):
            "\(origin): the tokenizer has \(tokenizerSize) ids but the model's vocab_size is \(vocabularySize). Save the model with the tokenizer it was trained with."
        case .beamSearch:
            "Beam search applies to sentence VAEs; a GPT samples. Use --decode sample or --decode greedy."
        case .noSentenceBoundary:
            "The GPT's tokenizer has no newline, <|endoftext|> or <bos> token to start a sentence from, so it cannot score sentences. Use a `quill train lm` model as the reference."
        case .emptyPrompt:
            "A GPT needs at least one token of context, but the prompt is empty and the tokenizer has no <bos> or newline token. Pass --prompt."
        case .corpusTooShort(let path, let tokens, let needed):
            "\(path) has \(tokens) tokens, fewer than one window of block_size + 1 = \(needed). Evaluate on a longer text."
        }
    }
}
