import QuillTensor

/// A token sequence cut into `streamCount` contiguous streams that are read side by side,
/// `sequenceLength` tokens at a time, as char-rnn's loader does for truncated backpropagation
/// through time.
///
/// Stream `s` holds tokens `s·L ..< (s+1)·L` of the sequence (L = ``streamLength``), so row `s` of
/// batch `i + 1` continues row `s` of batch `i`: the hidden state a model ends a batch with is the
/// right state to start the next one from. A pass (epoch) ends when fewer than `sequenceLength + 1`
/// tokens are left in each stream; the next batch starts again at the front, from a fresh state.
public struct TokenStreams: Sendable {
    /// One batch of inputs and the targets they predict.
    public struct Batch: Sendable {
        /// Token ids [streamCount, T].
        public var inputs: IndexTensor
        /// The next token after each input [streamCount, T].
        public var targets: IndexTensor
        /// Whether this batch starts a pass, so the carried state must be reset to zeros.
        public var startsPass: Bool
    }

    /// Where the next training batch starts; saved in checkpoints so `--resume` continues there.
    public struct Position: Codable, Equatable, Sendable {
        /// Completed passes over the data.
        public var epoch = 0
        /// The index of the next batch within the pass.
        public var batch = 0

        /// The start of the first pass.
        public init() {}
    }

    /// The streams [streamCount, streamLength], row-major.
    private let tokens: [Int32]
    /// A digest of the streams' tokens (``TokenDigest``).
    var digest: String { TokenDigest.of(tokens: tokens) }
    /// The number of streams read side by side: the batch size.
    public let streamCount: Int
    /// The tokens in each stream.
    public let streamLength: Int
    /// The timesteps per batch, T.
    public let sequenceLength: Int
    /// The next batch ``nextBatch()`` returns.
    public var position = Position()

    /// Cuts `tokens` into `streamCount` streams, dropping the remainder of the division.
    ///
    /// Needs at least `streamCount · (sequenceLength + 1)` tokens, so every stream holds one batch.
    public init(tokens: [Int32], streamCount: Int, sequenceLength: Int) {
        precondition(streamCount > 0 && sequenceLength > 0,
                     "streamCount \(streamCount) and sequenceLength \(sequenceLength) must be positive")
        precondition(tokens.count >= Self.minimumTokens(streamCount: streamCount, sequenceLength: sequenceLength),
                     "\(tokens.count) tokens cannot fill \(streamCount) streams of \(sequenceLength + 1)")
        self.streamCount = streamCount
        self.sequenceLength = sequenceLength
        streamLength = tokens.count / streamCount
        self.tokens = Array(tokens[..<(streamLength * streamCount)])
    }

    /// Streams for evaluation over `tokens` (at least 2): up to `maxStreams` of them, fewer when
    /// the text is short, read `sequenceLength` tokens at a time.
    public static func forEvaluation(tokens: [Int32], maxStreams: Int, sequenceLength: Int) -> TokenStreams {
        precondition(tokens.count >= 2, "evaluation needs at least 2 tokens, got \(tokens.count)")
        let streams = max(1, min(maxStreams, (tokens.count - 1) / sequenceLength, tokens.count / 2))
        let length = min(sequenceLength, tokens.count / streams - 1)
        return TokenStreams(tokens: tokens, streamCount: streams, sequenceLength: length)
    }

    /// The fewest tokens that fill one batch of `streamCount` streams.
    public static func minimumTokens(streamCount: Int, sequenceLength: Int) -> Int {
        streamCount * (sequenceLength + 1)
    }

    /// The number of batches in one pass.
    public var batchesPerEpoch: Int { (streamLength - 1) / sequenceLength }

    /// The tokens predicted per training batch.
    public var tokensPerBatch: Int { streamCount * sequenceLength }

    /// The next training batch, moving on to the next pass after the last full batch of this one.
    public mutating func nextBatch() -> Batch {
        if position.batch >= batchesPerEpoch {
            position.epoch += 1
            position.batch = 0
        }
        let batch = self.batch(at: position.batch * sequenceLength, length: sequenceLength,
                               startsPass: position.batch == 0)
        position.batch += 1
        return batch
    }

    /// Every batch of one pass in order, the last one shorter so that every token but each
    /// stream's first is predicted once: what evaluation scores.
    public func evaluationBatches() -> [Batch] {
        var batches: [Batch] = []
        var start = 0
        while start < streamLength - 1 {
            let length = min(sequenceLength, streamLength - 1 - start)
            batches.append(batch(at: start, length: length, startsPass: start == 0))
            start += length
        }
        return batches
    }

    /// The tokens an evaluation pass predicts.
    public var evaluatedTokenCount: Int { streamCount * (streamLength - 1) }

    /// Inputs at stream offsets `start ..< start + length` and targets one further on.
    private func batch(at start: Int, length: Int, startsPass: Bool) -> Batch {
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(streamCount * length)
        targets.reserveCapacity(streamCount * length)
        for stream in 0..<streamCount {
            let row = stream * streamLength + start
            inputs += tokens[row ..< row + length]
            targets += tokens[row + 1 ..< row + length + 1]
        }
        return Batch(inputs: IndexTensor(inputs, shape: [streamCount, length]),
                     targets: IndexTensor(targets, shape: [streamCount, length]), startsPass: startsPass)
    }
}
