import QuillModels
import QuillText

/// A model read from its file, ready to generate and evaluate.
public struct LoadedModel {
    /// Where it was read from.
    public var path: String
    /// The file's contents (kind, configuration, tokenizer, training state).
    public var file: ModelFile
    /// The model, as a continuer of prompts (language models) …
    public var textGenerator: (any TextGenerator)?
    /// … or as a sentence autoencoder (VAEs).
    public var sentenceAutoencoder: (any SentenceAutoencoder)?
    /// How `quill eval` scores it.
    public var evaluator: any CorpusEvaluating
    /// How it reads and writes text.
    public var tokenizer: any Tokenizer

    /// The model kind.
    public var kind: ModelKind { file.kind }

    /// Bundles a loaded model.
    public init(path: String, file: ModelFile, textGenerator: (any TextGenerator)? = nil,
                sentenceAutoencoder: (any SentenceAutoencoder)? = nil, evaluator: any CorpusEvaluating,
                tokenizer: any Tokenizer) {
        self.path = path
        self.file = file
        self.textGenerator = textGenerator
        self.sentenceAutoencoder = sentenceAutoencoder
        self.evaluator = evaluator
        self.tokenizer = tokenizer
    }
}

extension LoadedModel {
    /// A warning naming the words of `text` outside the model's vocabulary, which it reads as
    /// `<unk>`, or nil when it covers them all; for sentences given on the command line or in
    /// the REPL, where a silent `<unk>` would pass for the model's own doing.
    public func unknownWordsWarning(for text: String) -> String? {
        let words = tokenizer.unknownWords(in: text)
        guard !words.isEmpty else { return nil }
        let list = words.map { "\"\($0)\"" }.joined(separator: ", ")
        let (verb, pronoun) = words.count == 1 ? ("is", "it") : ("are", "them")
        return "\(list) \(verb) outside the vocabulary of \(path); the model reads \(pronoun) as <unk>."
    }
}

/// Reads the tokenizer a `--vocab` path names: a vocabulary or tokenizer file, or a Quill model
/// (`.safetensors`), whose own tokenizer it then is, so a new run or `quill tokenize` can use a
/// trained model's ids.
public func loadTokenizer(at path: String) throws -> any Tokenizer {
    guard path.hasSuffix(".safetensors") else { return try TokenizerFile.load(from: path) }
    return try ModelFile.read(path).decodeTokenizer(source: path)
}

/// Reads the model at `path`, whatever its kind.
public func loadModel(at path: String) throws -> LoadedModel {
    let file = try ModelFile.read(path)
    switch file.kind {
    case .charRNN:
        return try loadCharRNN(file, path: path)
    case .gpt:
        let tokenizer = try file.decodeTokenizer(source: path)
        let model = try GPTTextModel(model: GPT(file: file, path: path), tokenizer: tokenizer, origin: path)
        return LoadedModel(path: path, file: file, textGenerator: model, evaluator: model, tokenizer: tokenizer)
    case .vae, .hvae, .lm:
        return try loadSentenceModelFile(file, path: path)
    }
}
