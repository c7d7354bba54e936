import Foundation
import QuillTensor
import QuillText

extension GPTTextModel: CorpusEvaluating {
    /// The mean loss per token over the whole text of `path`, in consecutive windows of
    /// `block_size` + 1 tokens, each predicting its last `block_size` tokens: `nats_per_token`,
    /// `bits_per_token`, `perplexity` and `tokens`.
    public func evaluate(corpusAt path: String, samples: Int?, progress: (Double) -> Void) throws -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw GPTError.unreadableCorpus(path: path)
        }
        let ids = tokenizer.encode(text).map { Int32($0) }
        let length = model.configuration.blockSize
        let windows = (ids.count - 1) / length
        guard windows > 0 else { throw GPTError.corpusTooShort(path: path, tokens: ids.count, needed: length + 1) }
        var total = 0.0
        var dropout = RandomGenerator(seed: 0)
        let batch = 16
        for first in stride(from: 0, to: windows, by: batch) {
            let count = min(batch, windows - first)
            var inputs: [Int32] = [], targets: [Int32] = []
            for w in first..<first + count {
                inputs += ids[w * length..<(w + 1) * length]
                targets += ids[w * length + 1...(w + 1) * length]
            }
            let loss = withoutGradients {
                model.loss(tokens: IndexTensor(inputs, shape: [count, length]),
                           targets: IndexTensor(targets, shape: [count, length]), generator: &dropout)
            }
            total += Double(loss.scalar) * Double(count * length)
            progress(Double(first + count) / Double(windows))
        }
        let tokens = Double(windows * length)
        let nats = total / tokens
        return ["nats_per_token": nats, "bits_per_token": nats / log(2), "perplexity": exp(nats), "tokens": tokens]
    }
}
