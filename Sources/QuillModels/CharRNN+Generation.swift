import Foundation
import QuillNN
import QuillTensor
import QuillText

/// A ``CharRNN`` with its tokenizer: continues a prompt one grapheme cluster at a time.
///
/// The prompt runs through the stack as one sequence; each new token then costs one
/// ``RecurrentLayer/step(_:state:)`` (matrix-vector products at batch 1), one head product and
/// one ``pickToken(logits:vocabularySize:options:history:excluded:generator:scratch:)``.
public final class CharRNNGenerator: TextGenerator {
    /// The network, switched to inference (no dropout).
    public let model: CharRNN
    /// The character tokenizer the model was trained with.
    public let tokenizer: any Tokenizer
    private let scratch = SamplingScratch()

    /// Wraps `model` for generation; throws if the tokenizer's size differs from the model's.
    public init(model: CharRNN, tokenizer: any Tokenizer) throws {
        guard tokenizer.vocabularySize == model.configuration.vocabularySize else {
            throw CharRNNError.tokenizerMismatch(tokenizerSize: tokenizer.vocabularySize,
                                                 vocabularySize: model.configuration.vocabularySize)
        }
        model.setTraining(false)
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Ids sampling never picks: `<pad>`, `<unk>`, `<bos>` and `<eos>`, which never follow text.
    var excludedIDs: Set<Int> { Set(tokenizer.specialTokens.values) }

    /// Generates up to `options.maxTokens` grapheme clusters after `prompt`, passing each to
    /// `onText` as soon as it is drawn.
    ///
    /// An empty prompt starts from a newline when the vocabulary has one (the start of a line,
    /// as in a poem per line), else from a token drawn uniformly, as char-rnn does.
    public func generate(prompt: String, options: SamplingOptions, generator: inout RandomGenerator,
                         onText: (String) -> Bool) throws {
        if options.decoding == .beam { throw CharRNNError.beamSearch }
        model.setTraining(false)
        let V = model.configuration.vocabularySize, H = model.configuration.hiddenSize
        var context = tokenizer.encode(prompt)
        var history: [Int] = []
        var generated = ""
        let longestStop = options.stopStrings.map(\.count).max() ?? 0

        /// Emits `id`; returns false when generation must stop.
        func emit(_ id: Int) -> Bool {
            history.append(id)
            let text = tokenizer.token(for: id) ?? ""
            guard onText(text) else { return false }
            if longestStop > 0 {
                generated += text
                if options.stopStrings.contains(where: { generated.hasSuffix($0) }) { return false }
                if generated.count > 4 * longestStop { generated = String(generated.suffix(longestStop)) }
            }
            return true
        }

        if context.isEmpty {
            if let newline = tokenizer.encode("\n").first, newline != Vocabulary.unknownID {
                context = [newline]
            } else {
                let candidates = (0..<V).filter { !excludedIDs.contains($0) }
                guard !candidates.isEmpty else { return }
                let first = candidates[generator.nextInt(below: candidates.count)]
                guard emit(first), options.maxTokens > 1 else { return }
                context = [first]
            }
        }
        // Prime on the context as one sequence: the logits after its last token and the state.
        var (logits, state) = withoutGradients { () -> (Tensor, RecurrentState) in
            let (all, state) = model(IndexTensor(context, shape: [1, context.count]), state: nil)
            let last = all.reshaped(to: [context.count, V]).selecting(context.count - 1, axis: 0).contiguous()
            return (last, state)
        }
        let input = Tensor(uninitializedShape: [1, model.configuration.embeddingSize])
        let weight = model.head.weight, bias = model.head.bias
        let excluded = excludedIDs
        guard options.maxTokens > history.count else { return }
        for index in history.count..<options.maxTokens {
            let id = pickToken(logits: logits.data, vocabularySize: V, options: options, history: history[...],
                               excluded: excluded, generator: &generator, scratch: scratch)
            guard emit(id), index + 1 < options.maxTokens else { return }
            input.data.update(from: model.embedding.data + id * input.count, count: input.count)
            let (output, next) = withoutGradients { model.recurrent.step(input, state: state) }
            state = next
            // logits [V] = W [V, H] · h [H] + b, one matrix-vector product.
            let out = Tensor(uninitializedShape: [V])
            if let bias { out.data.update(from: bias.data, count: V) }
            BLAS.gemv(rows: V, columns: H, a: weight.data, lda: H, x: output.data, beta: bias == nil ? 0 : 1, y: out.data)
            logits = out
        }
    }
}

/// Problems building or running a char-rnn, each with the fix.
public enum CharRNNError: Error, Equatable, LocalizedError {
    /// The tokenizer and the model disagree on the number of ids.
    case tokenizerMismatch(tokenizerSize: Int, vocabularySize: Int)
    /// Beam search was asked of a model that samples.
    case beamSearch

    /// A one-line explanation with the fix.
    public var errorDescription: String? {
        switch self {
        case .tokenizerMismatch(let tokenizerSize, let vocabularySize):
            "The tokenizer has \(tokenizerSize) ids but the char-rnn's vocab_size is \(vocabularySize). Save the model with the vocabulary it was trained with."
        case .beamSearch:
            "Beam search applies to sentence VAEs; a char-rnn samples. Use --decode sample or --decode greedy."
        }
    }
}
