import QuillTensor
import QuillText

/// Sentences as the sentence models read them, padded to a common number of steps.
///
/// Sentence b with words w₁…w_L occupies `lengths[b] = L + 1` steps: the encoder reads
/// w₁…w_L `<eos>`, the decoder reads `<bos>` w₁…w_L and predicts w₁…w_L `<eos>`. Positions
/// past a sentence's length hold `<pad>`; they are skipped by the recurrent layers (through
/// `lengths`) and never reach the output layer (only `tokenRows` do), so padding cannot change
/// any loss term or gradient.
public struct SentenceBatch: Sendable {
    /// Each sentence's token ids, without specials.
    public let sentences: [[Int]]
    /// T: the padded number of steps, at least the longest sentence plus one.
    public let steps: Int
    /// Each sentence's steps, L + 1 [B].
    public let lengths: [Int]
    /// w₁…w_L `<eos>` then `<pad>` [B, T]: the encoder's input and the decoder's targets.
    public let targets: IndexTensor
    /// `<bos>` w₁…w_L then `<pad>` [B, T].
    public let decoderInput: IndexTensor
    /// The flat positions b·T + t of every real step, sentence by sentence [N].
    public let tokenRows: IndexTensor
    /// The target at each of `tokenRows` [N].
    public let rowTargets: IndexTensor
    /// How many identical rows each sentence occupies in a row: `count` after
    /// ``repeatingEach(_:)``, else 1. The decoder then projects each run's input once.
    public private(set) var rowRepeats = 1

    /// Pads `sentences` (token ids without specials) to `steps`, by default the fewest that fit.
    public init(sentences: [[Int]], steps: Int? = nil) {
        precondition(!sentences.isEmpty, "a sentence batch needs at least one sentence")
        let needed = sentences.map(\.count).max()! + 1
        let T = steps ?? needed
        precondition(T >= needed, "a batch padded to \(T) steps cannot hold a sentence of \(needed - 1) tokens")
        var targets = [Int32](repeating: Int32(Vocabulary.paddingID), count: sentences.count * T)
        var inputs = targets
        var rows: [Int32] = [], rowTargets: [Int32] = []
        for (b, sentence) in sentences.enumerated() {
            inputs[b * T] = Int32(Vocabulary.beginID)
            for (t, id) in sentence.enumerated() {
                targets[b * T + t] = Int32(id)
                inputs[b * T + t + 1] = Int32(id)
            }
            targets[b * T + sentence.count] = Int32(Vocabulary.endID)
            for t in 0...sentence.count {
                rows.append(Int32(b * T + t))
                rowTargets.append(targets[b * T + t])
            }
        }
        self.sentences = sentences
        self.steps = T
        self.lengths = sentences.map { $0.count + 1 }
        self.targets = IndexTensor(targets, shape: [sentences.count, T])
        self.decoderInput = IndexTensor(inputs, shape: [sentences.count, T])
        self.tokenRows = IndexTensor(rows, shape: [rows.count])
        self.rowTargets = IndexTensor(rowTargets, shape: [rowTargets.count])
    }

    /// B: the number of sentences.
    public var batchSize: Int { sentences.count }
    /// The number of predicted tokens, `<eos>` included and `<bos>` excluded.
    public var tokenCount: Int { tokenRows.count }

    /// The decoder's input with each word (not `<bos>`, not padding) replaced by `<unk>` with
    /// probability `rate`: Bowman et al.'s word dropout, which makes the decoder lean on z.
    public func decoderInputDroppingWords(rate: Float, generator: inout RandomGenerator) -> IndexTensor {
        guard rate > 0 else { return decoderInput }
        var values = decoderInput.values
        for (b, length) in lengths.enumerated() {
            for t in 1..<max(length, 1) where generator.nextFloat() < rate {
                values[b * steps + t] = Int32(Vocabulary.unknownID)
            }
        }
        return IndexTensor(values, shape: decoderInput.shape)
    }

    /// Each sentence repeated `count` times in a row (rows b·count + k), for importance sampling.
    public func repeatingEach(_ count: Int) -> SentenceBatch {
        var batch = SentenceBatch(sentences: sentences.flatMap { Array(repeating: $0, count: count) }, steps: steps)
        batch.rowRepeats = rowRepeats * count
        return batch
    }

    /// Sums per-row values [N] into one value per sentence [B].
    func sumBySentence(_ rowValues: [Float]) -> [Double] {
        precondition(rowValues.count == tokenCount, "\(rowValues.count) row values for \(tokenCount) rows")
        var sums = [Double](repeating: 0, count: batchSize)
        var row = 0
        for (b, length) in lengths.enumerated() {
            for _ in 0..<length { sums[b] += Double(rowValues[row]); row += 1 }
        }
        return sums
    }
}
