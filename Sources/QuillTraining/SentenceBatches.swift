import QuillModels
import QuillTensor

/// Training batches of sentences bucketed by length, in a fresh random order every epoch.
///
/// Each epoch shuffles the sentences, cuts the shuffled list into pools of `batchSize · 64`,
/// sorts each pool by length and slices it into batches, then shuffles the batches: every batch
/// holds sentences of similar length, so little compute goes to padding, while batch
/// composition and order still change from epoch to epoch. The order of an epoch depends only
/// on the generator state at its start, which ``Position`` saves, so a resumed run continues
/// exactly where it stopped.
public struct SentenceBatches {
    /// Where iteration stands: enough to rebuild the current epoch and continue within it.
    public struct Position: Codable, Sendable {
        /// Completed passes over the data.
        public var epoch = 0
        /// The next batch of the current epoch.
        public var batch = 0
        /// The generator state the current epoch's order was drawn from.
        public var epochGenerator: RandomGenerator
        /// The generator state the next epoch's order will be drawn from.
        public var nextGenerator: RandomGenerator

        /// The start of the first epoch, its order drawn from `seed`.
        public init(seed: UInt64) {
            epochGenerator = RandomGenerator(seed: seed)
            nextGenerator = epochGenerator
        }
    }

    /// The sentences (ids without specials).
    public let sentences: [[Int]]
    /// Sentences per batch; the last batch of a pool may hold fewer.
    public let batchSize: Int
    /// The current position.
    public private(set) var position: Position
    private var plan: [[Int]]

    /// Batches of `batchSize` over `sentences`, continuing from `position`.
    public init(sentences: [[Int]], batchSize: Int, position: Position) {
        precondition(!sentences.isEmpty && batchSize > 0, "batches need sentences and a positive batch size")
        self.sentences = sentences
        self.batchSize = batchSize
        self.position = position
        var generator = position.epochGenerator
        plan = Self.plan(lengths: sentences.map(\.count), batchSize: batchSize, generator: &generator)
        self.position.nextGenerator = generator
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { plan.count }

    /// The batches per epoch of `sentenceCount` sentences: every pool but the last is a whole
    /// number of batches, so this is ⌈sentenceCount / batchSize⌉.
    public static func batchCount(sentenceCount: Int, batchSize: Int) -> Int {
        (sentenceCount + batchSize - 1) / batchSize
    }

    /// The next batch, starting a new epoch (and a new order) after the last one.
    public mutating func next() -> SentenceBatch {
        if position.batch >= plan.count {
            position.epoch += 1
            position.batch = 0
            position.epochGenerator = position.nextGenerator
            var generator = position.epochGenerator
            plan = Self.plan(lengths: sentences.map(\.count), batchSize: batchSize, generator: &generator)
            position.nextGenerator = generator
        }
        defer { position.batch += 1 }
        return SentenceBatch(sentences: plan[position.batch].map { sentences[$0] })
    }

    /// A batch of the current epoch's plan drawn at random from `generator`, leaving the
    /// position alone: the extra batches of He et al.'s encoder-only inner loop.
    public func randomBatch(using generator: inout RandomGenerator) -> SentenceBatch {
        SentenceBatch(sentences: plan[generator.nextInt(below: plan.count)].map { sentences[$0] })
    }

    /// One epoch's batches of sentence indices: shuffle, sort pools by length, slice, shuffle batches.
    static func plan(lengths: [Int], batchSize: Int, generator: inout RandomGenerator) -> [[Int]] {
        var order = Array(lengths.indices)
        order.shuffle(using: &generator)
        let pool = batchSize * 64
        var batches: [[Int]] = []
        for start in stride(from: 0, to: order.count, by: pool) {
            let sorted = order[start..<min(start + pool, order.count)].sorted {
                lengths[$0] != lengths[$1] ? lengths[$0] < lengths[$1] : $0 < $1
            }
            for first in stride(from: 0, to: sorted.count, by: batchSize) {
                batches.append(Array(sorted[first..<min(first + batchSize, sorted.count)]))
            }
        }
        batches.shuffle(using: &generator)
        return batches
    }
}
