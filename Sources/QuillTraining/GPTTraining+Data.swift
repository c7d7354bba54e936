import Foundation
import QuillText

/// A corpus turned into token ids for a language model, split into training and validation.
public struct TokenizedCorpus {
    /// The tokenizer the ids belong to.
    public var tokenizer: any Tokenizer
    /// The training ids, in corpus order.
    public var train: [Int32]
    /// The validation ids, in corpus order.
    public var valid: [Int32]
    /// Where the training and validation ids come from, for messages: a path, or the part of
    /// the corpus held out.
    public var sources: (train: String, valid: String)

    /// Where a run's tokenizer comes from.
    public enum TokenizerSource {
        /// A tokenizer or vocabulary file (`--vocab`).
        case file(String)
        /// A grapheme vocabulary built from the training text.
        case character
        /// A byte-level BPE with `vocabularySize` ids trained on the training text.
        case bpe(vocabularySize: Int)
        /// A tokenizer already in hand, such as a resumed checkpoint's.
        case given(any Tokenizer)
    }

    /// Tokenizes `corpus`: validation is the `valid` file when given, else the last
    /// `validFraction` of the corpus's ids (nanoGPT's split: the first 90% train).
    public init(corpus: String, valid: String?, validFraction: Double, tokenizer source: TokenizerSource) throws {
        let text = try TextCorpus.read(corpus)
        switch source {
        case .file(let path): tokenizer = try loadTokenizer(at: path)
        case .given(let given): tokenizer = given
        case .character: tokenizer = try TokenizerFile.tokenizer(for: text.characterVocabulary())
        case .bpe(let size):
            tokenizer = try ByteLevelBPE.train(files: [corpus], vocabularySize: size, specialTokens: ["<|endoftext|>"])
        }
        let ids = text.tokens(using: tokenizer)
        if let valid {
            self.train = ids
            self.valid = try TextCorpus.read(valid).tokens(using: tokenizer)
            sources = (corpus, valid)
        } else {
            let percent = { (fraction: Double) in String(format: "%g", fraction * 100) }
            sources = ("The first \(percent(1 - validFraction))% of \(corpus), kept for training,",
                       "The last \(percent(validFraction))% of \(corpus), held out for validation,")
            let split = Int((Double(ids.count) * (1 - validFraction)).rounded(.down))
            self.train = Array(ids[..<split])
            self.valid = Array(ids[split...])
        }
    }
}
