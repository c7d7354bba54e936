import QuillNN
import QuillTensor
import QuillText

/// The keys and values every layer has computed so far, so each new token costs one position.
///
/// Layer `l` keeps keys and values [1, blockSize, C] whose first `count` rows are filled, laid out
/// as the packed projection's key and value columns so attention reads them with no copy.
public final class GPTKeyValueCache {
    let keys: [Tensor], values: [Tensor]
    /// The positions cached.
    public private(set) var count = 0
    /// The most positions it holds: the model's `block_size`.
    public let capacity: Int

    /// An empty cache for `model`.
    public init(for model: GPT) {
        let c = model.configuration
        capacity = c.blockSize
        keys = (0..<c.layerCount).map { _ in Tensor(uninitializedShape: [1, c.blockSize, c.embeddingSize]) }
        values = (0..<c.layerCount).map { _ in Tensor(uninitializedShape: [1, c.blockSize, c.embeddingSize]) }
    }

    /// Forgets every position.
    public func removeAll() { count = 0 }

    /// Copies the key and value columns of `qkv` [1, n, 3C] for layer `layer` into rows count..<count+n.
    fileprivate func append(_ qkv: Tensor, layer: Int) {
        let n = qkv.shape[1], width = qkv.shape[2] / 3
        let source = qkv.data
        for row in 0..<n {
            (keys[layer].data + (count + row) * width).update(from: source + row * 3 * width + width, count: width)
            (values[layer].data + (count + row) * width).update(from: source + row * 3 * width + 2 * width, count: width)
        }
    }

    fileprivate func advance(by n: Int) { count += n }
}

extension GPT {
    /// Runs `tokens` at the positions after those in `cache`, adds their keys and values to it,
    /// and returns the next-token logits [V] after the last of them. Records nothing.
    ///
    /// The tokens must fit: `cache.count + tokens.count ≤ block_size`.
    public func logits(appending tokens: [Int], to cache: GPTKeyValueCache) -> Tensor {
        precondition(!tokens.isEmpty && cache.count + tokens.count <= cache.capacity,
                     "\(tokens.count) tokens do not fit a cache holding \(cache.count) of \(cache.capacity)")
        return withoutGradients {
            let start = cache.count, n = tokens.count, width = configuration.embeddingSize
            let positions = positionEmbedding.sliced(axis: 0, range: start..<start + n)
            var x = Tensor.embedding(tokenEmbedding, indices: IndexTensor(tokens, shape: [1, n])) + positions
            for (layer, block) in blocks.enumerated() {
                let attention = block.attention
                let qkv = project(block.firstNorm(x), attention.inputProjection)
                cache.append(qkv, layer: layer)
                let visible = 0..<start + n
                let heads = Tensor.causalAttention(query: qkv.sliced(axis: 2, range: 0..<width),
                                                   key: cache.keys[layer].sliced(axis: 1, range: visible),
                                                   value: cache.values[layer].sliced(axis: 1, range: visible),
                                                   headCount: attention.headCount)
                x = x + project(heads, attention.outputProjection)
                let mlp = block.mlp
                x = x + project(project(block.secondNorm(x), mlp.expansion).exactGELU(), mlp.projection)
            }
            cache.advance(by: n)
            let last = finalNorm(x.sliced(axis: 1, range: n - 1..<n).reshaped(to: [1, 1, width]))
            return project(last, Linear(weight: tokenEmbedding, bias: nil)).reshaped(to: [configuration.vocabularySize])
        }
    }

    /// Continues `context` token by token, calling `onToken` with each new id until it returns
    /// false or `maxTokens` ids are made; `pick` chooses each id from the logits [V].
    ///
    /// Each token runs one position through the model, reading earlier positions from the cache.
    /// When the cache is full the context slides: the last three quarters of `block_size` are run
    /// again from position 0 (learned positions tie keys to where they sat), so the amortized cost
    /// stays a few positions per token and the model always sees at least 3/4 of a block.
    public func generate(context: [Int], maxTokens: Int, pick: (UnsafePointer<Float>, [Int]) -> Int,
                         onToken: (Int) -> Bool) {
        precondition(!context.isEmpty, "generation needs at least one token of context")
        let cache = GPTKeyValueCache(for: self)
        let keep = max(1, configuration.blockSize - configuration.blockSize / 4)
        var tokens = context
        var logits = self.logits(appending: Array(tokens.suffix(configuration.blockSize)), to: cache)
        for _ in 0..<maxTokens {
            let id = pick(UnsafePointer(logits.data), tokens)
            tokens.append(id)
            guard onToken(id) else { return }
            if cache.count == cache.capacity {
                cache.removeAll()
                logits = self.logits(appending: Array(tokens.suffix(keep)), to: cache)
            } else {
                logits = self.logits(appending: [id], to: cache)
            }
        }
    }
}

/// `linear` applied to `x` [1, n, in] → [1, n, out] straight through BLAS, which turns a one-row
/// product into a matrix-vector product (`Tensor.matmul`'s sgemm would repack the whole weight
/// matrix for every generated token).
private func project(_ x: Tensor, _ linear: Linear) -> Tensor {
    let input = x.isContiguous ? x : x.copy()
    let (rows, inputSize, outputSize) = (x.shape[1], x.shape[2], linear.weight.shape[0])
    let out = Tensor(uninitializedShape: [1, rows, outputSize])
    if let bias = linear.bias {
        for row in 0..<rows { (out.data + row * outputSize).update(from: bias.data, count: outputSize) }
    }
    BLAS.gemm(transposeB: true, m: rows, n: outputSize, k: inputSize, a: input.data, lda: inputSize,
              b: linear.weight.data, ldb: inputSize, beta: linear.bias == nil ? 0 : 1, c: out.data, ldc: outputSize)
    return out
}

/// A GPT with its tokenizer: what `quill sample`, `quill eval` and the REPL work with.
public final class GPTTextModel: TextGenerator {
    /// The network.
    public let model: GPT
    /// The tokenizer its ids belong to.
    public let tokenizer: any Tokenizer

    /// Pairs `model` with `tokenizer`, which must have the model's vocabulary size; `origin` names the file in errors.
    public init(model: GPT, tokenizer: any Tokenizer, origin: String) throws {
        guard tokenizer.vocabularySize == model.configuration.vocabularySize else {
            throw GPTError.tokenizerMismatch(origin: origin, tokenizerSize: tokenizer.vocabularySize,
                                             vocabularySize: model.configuration.vocabularySize)
        }
        self.model = model
        self.tokenizer = tokenizer
        model.setTraining(false)
    }

    /// Streams a continuation of `prompt`: whole characters only (BPE bytes of an unfinished
    /// character wait for the rest), stopping at `maxTokens`, an end-of-text token, a stop string
    /// (which is printed) or when `onText` returns false.
    ///
    /// An empty prompt starts from a newline, as nanoGPT's `sample.py` does.
    public func generate(prompt: String, options: SamplingOptions, generator: inout RandomGenerator,
                         onText: (String) -> Bool) throws {
        if options.decoding == .beam { throw GPTError.beamSearch }
        var context = tokenizer.encode(prompt.isEmpty ? "\n" : prompt)
        if context.isEmpty, let start = tokenizer.specialTokens["<|endoftext|>"] ?? tokenizer.specialTokens["<bos>"] {
            context = [start]
        }
        guard !context.isEmpty else { throw GPTError.emptyPrompt }
        let specials = tokenizer.specialTokens
        let stopIds = Set(["<eos>", "<|endoftext|>"].compactMap { specials[$0] })
        let excluded = Set(["<pad>", "<bos>"].compactMap { specials[$0] })
        var decoder = TextStream(tokenizer)
        var stops = StopStringMatcher(options.stopStrings)
        let scratch = SamplingScratch()
        let vocabularySize = model.configuration.vocabularySize
        let window = model.configuration.blockSize
        model.generate(context: context, maxTokens: options.maxTokens, pick: { logits, history in
            pickToken(logits: logits, vocabularySize: vocabularySize, options: options,
                      history: history.suffix(window), excluded: excluded, generator: &generator, scratch: scratch)
        }, onToken: { id in
            if stopIds.contains(id) { return false }
            let (text, stopped) = stops.consume(decoder.feed(id))
            if !text.isEmpty && !onText(text) { return false }
            return !stopped
        })
        let rest = stops.consume(decoder.flush()).text
        if !rest.isEmpty { _ = onText(rest) }
    }
}

/// Turns ids into text as they come: BPE through its streaming decoder, other tokenizers id by id.
struct TextStream {
    private let tokenizer: any Tokenizer
    private var bytes: ByteLevelBPE.StreamingDecoder?

    init(_ tokenizer: any Tokenizer) {
        self.tokenizer = tokenizer
        bytes = (tokenizer as? ByteLevelBPE).map { $0.makeStreamingDecoder() }
    }

    /// The text `id` completes (maybe empty).
    mutating func feed(_ id: Int) -> String {
        if bytes != nil { return bytes!.feed(id) }
        return tokenizer.decode([id])
    }

    /// Whatever is held back.
    mutating func flush() -> String { bytes?.flush() ?? "" }
}

/// Cuts generated text at the end of the first stop string, across piece boundaries.
struct StopStringMatcher {
    private let stops: [String]
    private var tail = ""
    private var done = false

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// The part of `piece` to show, and whether a stop string has now appeared.
    mutating func consume(_ piece: String) -> (text: String, stopped: Bool) {
        guard !done else { return ("", true) }
        guard !stops.isEmpty, !piece.isEmpty else { return (piece, false) }
        let combined = tail + piece
        var cut: String.Index?
        for stop in stops {
            if let range = combined.range(of: stop), cut.map({ range.upperBound < $0 }) ?? true { cut = range.upperBound }
        }
        if let cut {
            done = true
            let shownFrom = combined.index(combined.startIndex, offsetBy: tail.count)
            return (cut > shownFrom ? String(combined[shownFrom..<cut]) : "", true)
        }
        let longest = stops.map(\.count).max()! - 1
        tail = String(combined.suffix(longest))
        return (piece, false)
    }
}
